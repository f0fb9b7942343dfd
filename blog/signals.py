from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .cache import blog_changed
from .models import Post


@receiver(post_save, sender=Post)
def post_saved(sender, instance: Post, **kwargs) -> None:
    blog_changed()


@receiver(post_delete, sender=Post)
def post_deleted(sender, instance: Post, **kwargs) -> None:
    instance.delete_files()
    blog_changed()
