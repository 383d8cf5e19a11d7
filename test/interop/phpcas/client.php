<?php
// A page behind CAS: it shows who signed in and what CAS released about them.
declare(strict_types=1);
require __DIR__ . '/common.php';

fixture_cas(false, 'client.php');
phpCAS::forceAuthentication();
fixture_json(['user' => phpCAS::getUser(), 'attributes' => phpCAS::getAttributes()]);
