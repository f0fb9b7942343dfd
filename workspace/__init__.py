"""The workspace shell every room stands on: roles and the one access door (who sees
what, who may change it), list controls (search, sorting, paging), shared form parts."""
