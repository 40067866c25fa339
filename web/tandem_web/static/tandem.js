// Progressive enhancement only: every page works without this file.
// htmx requests carry the CSRF token from <body hx-headers>; nothing else is needed here yet.
