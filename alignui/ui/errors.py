"""Turn the project's own errors into messages shown in the page (gr.Error), never a traceback."""

import functools
import inspect

import gradio as gr

from alignui.errors import AlignUIError


def user_errors(handler):
    """Wrap an event handler (plain or streaming) so AlignUIError becomes gr.Error."""
    if inspect.isgeneratorfunction(handler):
        @functools.wraps(handler)
        def streamed(*args, **kwargs):
            try:
                yield from handler(*args, **kwargs)
            except AlignUIError as error:
                raise gr.Error(str(error)) from None
        return streamed

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except AlignUIError as error:
            raise gr.Error(str(error)) from None
    return wrapped
