"""Helpers of the import tests: an upload taken through its mapping step as a user
does, and a job queued with the columns as proposed."""

from django.core.files.uploadedfile import SimpleUploadedFile

from audience.client_forms import ClientImportMappingForm
from audience.imports import client_import_confirm, client_import_create
from audience.models import ClientImport


def mapping_data(page, **changes) -> dict:
    """What the mapping page posts when the user leaves it as shown, then `changes`
    (column_0="skip", create_lists=False, ...)."""
    form: ClientImportMappingForm = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(changes)
    if not data.pop("create_lists"):
        return data
    return {**data, "create_lists": "on"}


def upload(browser, data: bytes, name: str = "clients.csv"):
    """Post the file as the upload form does: a redirect to its mapping page, or the
    form again with the file's error."""
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    if hasattr(browser, "submit"):
        return browser.submit("/clients/import/", {"file": upload})
    return browser.post("/clients/import/", {"file": upload})


def confirm(browser, response, **changes):
    """Open the mapping page an upload led to and import with the columns as proposed,
    or with `changes`; the answer of the mapping page's post."""
    page = browser.get(response["Location"])
    data = mapping_data(page, **changes)
    if hasattr(browser, "submit"):
        return browser.submit(response["Location"], data)
    return browser.post(response["Location"], data)


def queued_import(*, owner, data: bytes, file_name: str = "") -> ClientImport:
    """A job queued for a worker with its columns as proposed (the user pressed Import)."""
    job = client_import_create(owner=owner, data=data, file_name=file_name)
    client_import_confirm(job)
    return job
