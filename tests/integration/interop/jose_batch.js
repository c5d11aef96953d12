// Licensed under the Apache License, Version 2.0.
//
// Batch signer/verifier on panva's `jose` (Debian package node-jose, installed
// under /usr/share/nodejs/jose), for tests/integration/test_100_interop.py.
// One process per direction: a JSON request on stdin, a JSON answer on stdout.
//
//   {"mode": "versions"}
//       -> {"jose": "4.11.4", "node": "v20..."}
//   {"mode": "sign", "items": [{"id", "alg", "key": {"pem"} | {"secret_b64"},
//                               "header": {...}, "payload": {...}}]}
//       -> {"results": [{"id", "token"} | {"id", "error"}]}
//   {"mode": "verify", "items": [{"id", "alg", "key": ..., "token",
//                                 "iss", "aud"}]}
//       -> {"results": [{"id", "ok": true, "header", "payload"} |
//                       {"id", "ok": false, "error"}]}
//
// Verification asks jose for the algorithm, typ "JWT", issuer, audience and
// the presence of every registered claim; the Python side checks the values.
'use strict';

// Debian puts Node modules in /usr/share/nodejs; a Node.js from elsewhere
// (e.g. nodesource) does not look there by itself.
for (const dir of ['/usr/share/nodejs', '/usr/lib/nodejs']) {
    if (!module.paths.includes(dir)) module.paths.push(dir);
}
const jose = require('jose');

function readStdin() {
    return new Promise((resolve, reject) => {
        const chunks = [];
        process.stdin.on('data', (c) => chunks.push(c));
        process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        process.stdin.on('error', reject);
    });
}

async function keyFor(item, priv) {
    if (item.key.secret_b64 !== undefined) {
        return new Uint8Array(Buffer.from(item.key.secret_b64, 'base64'));
    }
    return priv ? jose.importPKCS8(item.key.pem, item.alg)
                : jose.importSPKI(item.key.pem, item.alg);
}

async function sign(item) {
    const key = await keyFor(item, true);
    const token = await new jose.SignJWT(item.payload)
        .setProtectedHeader(item.header)
        .sign(key);
    return { id: item.id, token };
}

async function verify(item) {
    const key = await keyFor(item, false);
    const { payload, protectedHeader } = await jose.jwtVerify(item.token, key, {
        algorithms: [item.alg],
        typ: 'JWT',
        issuer: item.iss,
        audience: item.aud,
        requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti'],
    });
    return { id: item.id, ok: true, header: protectedHeader, payload };
}

async function main() {
    const req = JSON.parse(await readStdin());
    if (req.mode === 'versions') {
        let version = null;
        try {
            version = require('jose/package.json').version;
        } catch (e) {
            // the Debian package may not export package.json
        }
        return { jose: version, node: process.version };
    }
    const fn = req.mode === 'sign' ? sign : req.mode === 'verify' ? verify : null;
    if (!fn) throw new Error(`unknown mode ${req.mode}`);
    const results = [];
    for (const item of req.items) {
        try {
            results.push(await fn(item));
        } catch (e) {
            results.push({ id: item.id, ok: false,
                           error: `${e.code || e.name}: ${e.message}` });
        }
    }
    return { results };
}

main().then((out) => {
    process.stdout.write(JSON.stringify(out));
}, (e) => {
    process.stderr.write(`${e.stack || e}\n`);
    process.exit(2);
});
