"""What comes back from mail servers: bounces and complaints (DSN, ARF, ESP webhooks),
matched to a delivery only with proof we sent it, and what follows from them."""
