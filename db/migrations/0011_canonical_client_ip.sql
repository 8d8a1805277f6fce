-- Client IPs in one canonical form (core/ip.ts normaliseIp): IPv6 as RFC 5952 writes it, an IPv4-mapped
-- address as its IPv4 client. Imports before this wrote IPv6 addresses lower-cased as received, so the
-- same client could be `2001:db8:0:0::4e` in one record and `2001:db8::4e` in another, and a filter typed
-- one way missed the other. The column is derived (each record's AuditData keeps the address as
-- received), so it is derived again; only values with a colon can change. normalise_ip is the import's
-- own function, registered on the connection that migrates (db/database.ts).
UPDATE events SET client_ip = normalise_ip(client_ip) WHERE client_ip LIKE '%:%' AND client_ip IS NOT normalise_ip(client_ip);
UPDATE access_items SET client_ip = normalise_ip(client_ip) WHERE client_ip LIKE '%:%' AND client_ip IS NOT normalise_ip(client_ip);
