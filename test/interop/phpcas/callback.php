<?php
// The proxy callback CAS calls with pgtId and pgtIou: phpCAS stores the PGT in TMSP_PGT_DIR for
// proxy.php and answers 200 (forceAuthentication only reaches that code in callback mode).
declare(strict_types=1);
require __DIR__ . '/common.php';

fixture_cas(true, 'callback.php');
phpCAS::forceAuthentication();
