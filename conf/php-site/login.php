<?php
// The login form of the example site (conf/jwt-php-site-example.conf).
// Public: not under AuthType JWT. It posts to mod_auth_jwt's login handler,
// which in cookie mode sets the token cookies and answers 303 to return_to;
// a refused login comes back here as /login.php?return_to=...&error=CODE.
// JWT_SITE_AUTH_PATH (SetEnv) moves the endpoints; default /auth.
header('Cache-Control: no-store');
header('X-Frame-Options: DENY');
header("Content-Security-Policy: default-src 'self'; frame-ancestors 'none'");

function h($s)
{
    return htmlspecialchars((string)$s, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}

$auth = $_SERVER['JWT_SITE_AUTH_PATH'] ?? '/auth';
if (!preg_match('#^/[A-Za-z0-9._/-]*$#', $auth)) {
    $auth = '/auth';
}
$auth = rtrim($auth, '/');
// The module checks return_to again (a local path only, else "/").
$return_to = $_GET['return_to'] ?? '/app/';
if (!is_string($return_to) || $return_to === '') {
    $return_to = '/app/';
}
$messages = [
    'invalid_grant' => 'Wrong user name or password.',
    'temporarily_unavailable' => 'The login service is unavailable; please try again later.',
    'slow_down' => 'Too many attempts; please wait a moment.',
];
$error = $_GET['error'] ?? null;
?>
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Log in</title>
</head>
<body>
<h1>Log in</h1>
<?php if ($error !== null): ?>
<p id="error" role="alert"><?= h(is_string($error) && isset($messages[$error]) ? $messages[$error] : 'Login failed.') ?></p>
<?php elseif (isset($_GET['logged_out'])): ?>
<p id="logged-out">You have logged out.</p>
<?php endif; ?>
<form id="login" method="post" action="<?= h($auth . '/login') ?>">
<input type="hidden" name="return_to" value="<?= h($return_to) ?>">
<p><label>User name <input type="text" name="username" autocomplete="username" required autofocus></label></p>
<p><label>Password <input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button type="submit" id="submit">Log in</button></p>
</form>
</body>
</html>
