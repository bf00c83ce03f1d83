"""Machine-to-machine interoperability: machine clients (payment providers, other agencies),
their credentials and calls, and G2P Connect disbursement in both directions (decision 0024)."""
