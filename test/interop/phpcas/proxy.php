<?php
// A CAS proxy: signing in gets it a proxy-granting ticket through callback.php, with which it
// asks CAS for a proxy ticket to backend.php on every visit.
declare(strict_types=1);
require __DIR__ . '/common.php';

$base = fixture_cas(true, 'proxy.php');
phpCAS::forceAuthentication();
$target = $base . '/backend.php';
$errorCode = 0;
$error = '';
$proxyTicket = phpCAS::retrievePT($target, $errorCode, $error);
fixture_json([
    'user' => phpCAS::getUser(),
    'attributes' => phpCAS::getAttributes(),
    'targetService' => $target,
    'proxyTicket' => $proxyTicket,
    'errorCode' => $errorCode,
    'error' => $error,
]);
