-- Licensed under the Apache License, Version 2.0.
--
-- mod_auth_jwt: the refresh-token table (MySQL 5.7+ / MariaDB 10.3+, InnoDB).
-- This file is the single definition of the table; the integration tests
-- load it. Load it into the database named in DBDParams, e.g.
--
--   mysql ajwt < conf/schema-mysql.sql
--
-- The table name is AuthJWTRefreshTable (default auth_jwt_refresh_token);
-- if you change it, change it here too. The module needs SELECT, INSERT,
-- UPDATE and DELETE on it (and SELECT on the users table, for
-- AuthJWTClaimsQuery and mod_authn_dbd):
--
--   GRANT SELECT, INSERT, UPDATE, DELETE ON ajwt.* TO 'ajwt'@'localhost';
--
-- One row per refresh token ever issued. The token itself is never stored,
-- only its SHA-256 (lowercase hex). Every login starts a family (a random
-- id); each rotation spends the presented row (used_at) and inserts its
-- successor (generation + 1, parent_hash = the presented token's hash).
-- Times are unix seconds; 0 in used_at and revoked_at means "not spent"
-- and "not revoked". Presenting a spent token revokes the whole family
-- (revoked_at on every row), except as AuthJWTRefreshReuseInterval allows.
-- Rows are deleted by the module itself once their family has expired or
-- they have been revoked for more than a minute (at most once a minute per
-- server process, 500 rows at a time): no cron job is needed. Spent rows of
-- a live family stay until then: presenting one, even after its own expiry,
-- revokes the family.
--
-- Every row carries the context its family was issued for: the SHA-256 hex
-- of "<AuthJWTIss>\n<AuthJWTAud>" of the login endpoint (empty strings for
-- unset ones). A refresh or logout endpoint only honours tokens of its own
-- context, so a token from /auth/login (aud "app") cannot be exchanged at a
-- refresh endpoint issuing tokens for another audience.
--
-- Upgrading a table made before the context column existed (its tokens
-- then match no context: their users log in again):
--
--   ALTER TABLE auth_jwt_refresh_token
--       ADD COLUMN context CHAR(64) CHARACTER SET ascii COLLATE ascii_bin
--       NOT NULL DEFAULT '' AFTER username;

CREATE TABLE IF NOT EXISTS auth_jwt_refresh_token (
    token_hash        CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    family_id         CHAR(43)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    -- the token this one was issued in exchange for ('' after a login):
    -- tells the immediate predecessor of the live token from its siblings
    parent_hash       CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    username          VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    -- SHA-256 hex of the issuing context's "iss\naud"
    context           CHAR(64)     CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    generation        INT UNSIGNED NOT NULL,
    created_at        BIGINT       NOT NULL,
    expires_at        BIGINT       NOT NULL,
    family_expires_at BIGINT       NOT NULL,
    used_at           BIGINT       NOT NULL DEFAULT 0,
    revoked_at        BIGINT       NOT NULL DEFAULT 0,
    PRIMARY KEY (token_hash),
    -- the family's live token is found through this index; having used_at
    -- and revoked_at in it keeps the row locks of a rotation on live rows
    KEY idx_family (family_id, used_at, revoked_at),
    KEY idx_username (username),
    -- the module's own purge: dead families, then revoked rows
    KEY idx_family_expires (family_expires_at),
    KEY idx_revoked (revoked_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- ----------------------------------------------------------------------
-- Example: a users table for login (not needed by the module itself).
--
-- Passwords hold anything apr_password_validate understands: bcrypt
-- ($2y$, from `htpasswd -nbB user password`), SHA-256/512 crypt, APR MD5.
--
-- Check passwords against it with mod_authn_dbd:
--
--   <Location /auth/login>
--       SetHandler jwt-login-handler
--       AuthJWTProvider dbd
--       AuthDBDUserPWQuery "SELECT password FROM users WHERE username = %s AND active = 1"
--   </Location>
--
-- and put its columns into the access tokens (one claim per column of the
-- first row; no row refuses login and refresh and revokes the user's
-- refresh tokens: set active = 0 to deactivate a user):
--
--   AuthJWTClaimsQuery "SELECT role, email FROM users WHERE username = %s AND active = 1"
--
-- A column named sub becomes the token's subject and the refresh family's
-- user, so a case-insensitive lookup can return the stored spelling:
--
--   AuthJWTClaimsQuery "SELECT username AS sub, role FROM users WHERE username = %s AND active = 1"

CREATE TABLE IF NOT EXISTS users (
    username  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    password  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    role      VARCHAR(64)  CHARACTER SET utf8mb4 NOT NULL DEFAULT 'user',
    email     VARCHAR(255) CHARACTER SET utf8mb4 NULL,
    active    TINYINT(1)   NOT NULL DEFAULT 1,
    PRIMARY KEY (username)
) ENGINE=InnoDB;
