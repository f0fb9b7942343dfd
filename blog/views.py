from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DeleteView, DetailView, TemplateView, UpdateView

from .cache import FRAGMENT_TTL, blog_version
from .forms import PostForm
from .models import Post

PAGE_SIZE = 9
# Page numbers are part of a cache key: bound them so a crawler cannot fill the cache.
MAX_PAGE = 1000


class PostListView(TemplateView):
    """Published posts, newest first (drafts too for content managers).

    The list is a cached fragment; the page of posts is fetched only when the fragment
    is not in the cache, hence the lazy page object.
    """

    template_name = "blog/post_list.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        try:
            number = min(max(int(self.request.GET.get("page", 1)), 1), MAX_PAGE)
        except ValueError:
            number = 1
        paginator = Paginator(Post.objects.visible_to(user).select_related("author"), PAGE_SIZE)
        return super().get_context_data(
            page_obj=SimpleLazyObject(lambda: paginator.get_page(number)),
            page_number=number,
            sees_drafts=user.has_perm("blog.change_post"),
            blog_version=blog_version(),
            fragment_ttl=FRAGMENT_TTL,
            **kwargs,
        )


class PostDetailView(DetailView):
    template_name = "blog/post_detail.html"

    def get_object(self, queryset=None):
        pk = self.kwargs["pk"]
        Post.objects.count_view(pk)
        post = get_object_or_404(Post.objects.select_related("author"), pk=pk)
        if not post.is_published and not self.request.user.has_perm("blog.change_post"):
            raise Http404
        return post

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            blog_version=blog_version(), fragment_ttl=FRAGMENT_TTL, **kwargs
        )


class PostCreateView(PermissionRequiredMixin, SuccessMessageMixin, CreateView):
    permission_required = "blog.add_post"
    model = Post
    form_class = PostForm
    success_message = _("The post is saved.")

    def form_valid(self, form):
        form.instance.author = self.request.user
        return super().form_valid(form)


class PostUpdateView(PermissionRequiredMixin, SuccessMessageMixin, UpdateView):
    permission_required = "blog.change_post"
    model = Post
    form_class = PostForm
    success_message = _("The post is saved.")


class PostDeleteView(PermissionRequiredMixin, SuccessMessageMixin, DeleteView):
    permission_required = "blog.delete_post"
    model = Post
    success_url = reverse_lazy("blog:post_list")
    success_message = _("The post is deleted.")
