"""What a mailing says: messages, their images and attachments, the markup, the renderer
that makes each recipient's email, link tracking's tokens, and the preview."""
