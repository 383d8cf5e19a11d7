<?php
// A page that wants the password typed again (renew), even inside a single sign-on session.
declare(strict_types=1);
require __DIR__ . '/common.php';

fixture_cas(false, 'renew.php');
phpCAS::renewAuthentication();
fixture_json(['user' => phpCAS::getUser(), 'attributes' => phpCAS::getAttributes()]);
