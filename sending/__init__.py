"""The sending engine: claims due runs once, writes the ledger of deliveries, sends them
over pooled connections at a rate, and is the only writer of Attempt and Delivery rows."""
