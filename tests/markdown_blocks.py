"""The fenced code blocks of a markdown file, for the tests that run what the documents show."""


def fenced_blocks(path):
    """(language, text) of every ``` block in the file, in order; text keeps its line ends."""
    out, lang, lines = [], None, []
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            if lang is None:
                lang, lines = line[3:].strip(), []
            else:
                out.append((lang, "".join(lines)))
                lang = None
            continue
        if lang is not None:
            lines.append(line)
    return out
