"""Reading upload requests without losing files to their names."""

from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser, get_encoding

# What a file is called when its name held nothing usable: a space, which
# Django accepts as a name and safe_name() turns into "image" plus the
# extension of the detected format.
NAMELESS = " "


class _KeepNamelessFiles(DjangoMultiPartParser):
    def sanitize_file_name(self, file_name):
        # Django drops a file whose name cleans away to nothing ("..", a
        # lone slash, control characters only), and the client would be told
        # that no file was sent at all.
        return super().sanitize_file_name(file_name) or NAMELESS


class UploadParser(MultiPartParser):
    """DRF's multipart parser, keeping files whose names clean away to nothing."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context["request"]
        encoding = get_encoding(parser_context)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type

        try:
            parser = _KeepNamelessFiles(meta, stream, request.upload_handlers, encoding)
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)
