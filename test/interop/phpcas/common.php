<?php
// Shared set-up of the phpCAS fixture pages. The test passes the addresses in the environment:
// TMSP_APP_BASE is the HTTPS front (the Node TLS proxy) the browser and CAS use, never php -S.
declare(strict_types=1);

// Debian's documented entry point (it triggers a deprecation notice, which the server hides).
require_once 'CAS.php';

function fixture_setting(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        http_response_code(500);
        exit("fixture setting $name is missing\n");
    }
    return $value;
}

/**
 * Starts phpCAS as a plain client or as a proxy for one page, the way an application would:
 * CAS 3.0 (so /p3/serviceValidate and attributes), our CA for the CAS certificate, a fixed
 * service URL so it is exactly the registered one, and single logout from CAS only.
 */
function fixture_cas(bool $proxy, string $page): string
{
    $base = fixture_setting('TMSP_APP_BASE');
    $port = (int) fixture_setting('TMSP_CAS_PORT');
    if ($proxy) {
        phpCAS::proxy(CAS_VERSION_3_0, '127.0.0.1', $port, '/cas', $base);
        phpCAS::setPGTStorageFile(fixture_setting('TMSP_PGT_DIR'));
        phpCAS::setFixedCallbackURL($base . '/callback.php');
    } else {
        phpCAS::client(CAS_VERSION_3_0, '127.0.0.1', $port, '/cas', $base);
    }
    phpCAS::setVerbose(true);
    phpCAS::setFixedServiceURL($base . '/' . $page);
    phpCAS::setCasServerCACert(fixture_setting('TMSP_CAS_CA_FILE'));
    // Logout requests reach php -S through the local TLS proxy, so they come from 127.0.0.1.
    phpCAS::handleLogoutRequests(true, ['127.0.0.1', 'localhost']);
    return $base;
}

function fixture_json(array $answer): void
{
    header('Content-Type: application/json');
    echo json_encode($answer, JSON_UNESCAPED_SLASHES), "\n";
}
