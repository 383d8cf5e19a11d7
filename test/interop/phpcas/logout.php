<?php
// The application's own sign-out: ends the local session and sends the browser to CAS logout,
// which is to come back to client.php.
declare(strict_types=1);
require __DIR__ . '/common.php';

$base = fixture_cas(false, 'client.php');
phpCAS::logoutWithRedirectService($base . '/client.php');
