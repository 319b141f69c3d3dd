from models.text import MAX_CHARS, clean_text, mask_digits


def test_clean_text_drops_urls_and_control_characters():
    raw = "Apple\x00 beats\tearnings\u200b https://t.co/abc \x07 📈"
    assert clean_text(raw) == "Apple beats earnings 📈"


def test_invalid_utf8_bytes_become_replacement_characters():
    assert clean_text(b"Stocks \xff\xfe fall") == "Stocks \ufffd\ufffd fall"


def test_whitespace_only_is_empty():
    assert clean_text(" \n\t\r ") == ""


def test_huge_text_is_cut():
    assert len(clean_text("word " * 100_000)) <= MAX_CHARS


def test_mask_digits_masks_runs_of_four_or_more():
    assert mask_digits("acct 12345678 ref 42") == "acct ######## ref 42"
