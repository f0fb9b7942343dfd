"""The home page reads the workspace's models: its tests build them with the same factories."""

from mailings.tests.factories import ClientFactory, MailingFactory, MessageFactory

__all__ = ["ClientFactory", "MailingFactory", "MessageFactory"]
