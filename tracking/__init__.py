"""Opens and clicks: the tracked-link and pixel requests, folded into events apart from
machines, and who engaged, as segment conditions."""
