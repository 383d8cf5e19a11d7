<?php
// The service proxy.php gets proxy tickets for: a phpCAS client that accepts proxy tickets
// from that one proxy and validates them at /p3/proxyValidate.
declare(strict_types=1);
require __DIR__ . '/common.php';

$base = fixture_cas(false, 'backend.php');
phpCAS::allowProxyChain(new CAS_ProxyChain([$base . '/callback.php']));
// The ticket stays in the URL: the caller is a proxy, which keeps no session cookie.
phpCAS::setNoClearTicketsFromUrl();
phpCAS::forceAuthentication();
fixture_json(['user' => phpCAS::getUser(), 'proxies' => phpCAS::getProxies()]);
