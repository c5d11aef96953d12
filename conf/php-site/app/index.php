<?php
// A protected page of the example site: Apache (AuthType JWT) has checked
// the access cookie before PHP runs; the page only reads what the module
// exported. No session, no token handling in PHP.
header('Cache-Control: no-store');

function h($s)
{
    return htmlspecialchars((string)$s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

$auth = $_SERVER['JWT_SITE_AUTH_PATH'] ?? '/auth';
if (!preg_match('#^/[A-Za-z0-9._/-]*$#', $auth)) {
    $auth = '/auth';
}
$auth = rtrim($auth, '/');
$claims = [];
foreach ($_SERVER as $k => $v) {
    if (strncmp($k, 'JWT_CLAIM_', 10) === 0) {
        $claims[substr($k, 10)] = $v;
    }
}
ksort($claims);
?>
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Application</title>
</head>
<body>
<h1 id="hello">Hello <?= h($_SERVER['REMOTE_USER'] ?? '') ?></h1>
<p>AUTH_TYPE: <span id="auth-type"><?= h($_SERVER['AUTH_TYPE'] ?? '') ?></span></p>
<table id="claims">
<tr><th>claim</th><th>value</th></tr>
<?php foreach ($claims as $name => $value): ?>
<tr><td>JWT_CLAIM_<?= h($name) ?></td><td id="claim-<?= h($name) ?>"><?= h($value) ?></td></tr>
<?php endforeach; ?>
</table>
<form id="logout" method="post" action="<?= h($auth . '/logout') ?>">
<input type="hidden" name="return_to" value="/login.php?logged_out=1">
<button type="submit" id="logout-button">Log out</button>
</form>
</body>
</html>
