<?php
// A page that only asks CAS whether someone is signed in (gateway): it never shows a login form.
declare(strict_types=1);
require __DIR__ . '/common.php';

fixture_cas(false, 'gateway.php');
$signedIn = phpCAS::checkAuthentication();
fixture_json([
    'signedIn' => $signedIn,
    'user' => $signedIn ? phpCAS::getUser() : null,
    'attributes' => $signedIn ? phpCAS::getAttributes() : null,
]);
