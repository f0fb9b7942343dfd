"""The home page with its live figures and three random posts, /healthz for monitors,
and the demo data `seed_demo` makes."""
