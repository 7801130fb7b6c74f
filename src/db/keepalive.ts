/**
 * TCP keepalive for every connection the gateway opens to PostgreSQL (node-postgres `Client` and
 * `Pool` options; spread into them). Without it, pg's default, a connection whose server vanished
 * without closing it (a host that lost power, a failover behind a virtual IP, a NAT or firewall that
 * dropped the flow) is never noticed while it is idle: the job runner's LISTEN connection, which only
 * ever waits, then never hears another wake-up, and the event relay's and the pools' idle
 * connections sit dead until used (edges-11; "A database that stalls" named the gap).
 *
 * The first probe goes after 10 s of silence; how often the kernel probes after that and how many
 * unanswered probes end the connection are the host's settings (`net.ipv4.tcp_keepalive_intvl` and
 * `tcp_keepalive_probes`, 75 s and 9 on Linux by default, so about 11 minutes in all; a deployment
 * that wants it sooner lowers them). Node sets only the first delay per socket. Probes are empty
 * segments every few seconds per idle connection, nothing next to the traffic they guard. Redis
 * clients (ioredis) already keep alive by default (30 s).
 */
export const TCP_KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;
