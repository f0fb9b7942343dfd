from django.contrib import admin

from .forms import PostForm
from .models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    form = PostForm
    list_display = ["title", "is_published", "published_at", "views", "author"]
    list_filter = ["is_published"]
    search_fields = ["title", "body"]
    readonly_fields = ["views", "published_at", "author"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)
