"""The blog that promotes the service: posts in Markdown (sanitised with nh3), their
images, and the pages readers see."""
