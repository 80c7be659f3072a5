/*
 * parser/html.h - one HTML document (an email body) to plain text, with a
 * real HTML5 parser (gumbo: the WHATWG tree-construction algorithm, so
 * broken mail HTML gives the same tree a browser shows).
 *
 * Contract:
 *  - html_to_text() returns a new UTF-8 string, never NULL ("" for NULL,
 *    empty or text-less input). The caller g_free()s it.
 *  - Layout: block elements end lines, <p>/<h*>/<table> separate paragraphs
 *    with a blank line, <br> is a line break, <li> starts a line with "– "
 *    (<ol>: "1. ", "2. "...), table rows become lines and cells of a row are
 *    joined by " | " (just a space after a cell ending in ':'), <pre> keeps
 *    its line breaks, other whitespace runs collapse to one space.
 *  - Links keep only their visible text; images give nothing except emoji
 *    images (Gmail/Outlook <img alt="😊">), which give their alt text.
 *  - Dropped: <head>, <script>, <style>, <template>, <noscript>, <svg>,
 *    <iframe>, <object>, form controls, comments, and hidden elements
 *    (hidden attribute, display:none, visibility:hidden, mso-hide:all,
 *    max-height:0/font-size:0 preheaders), and signature containers of
 *    mail clients (gmail_signature, moz-signature, Outlook web Signature,
 *    Yahoo/Outlook mobile "Sent from" containers, protonmail_signature_block).
 *  - Quoted history containers (blockquote, except Gmail's "indent"
 *    blockquote with border:none; moz-cite-prefix; yahoo_quoted) are not
 *    dropped here: their lines are prefixed with "> " (one ">" per nesting
 *    level) so that the quote stripper (quote.h) handles plain and HTML
 *    mail the same way.
 *  - Entities are decoded by the parser. Output is not yet normalised
 *    (text_norm.h does that); lines may carry trailing spaces.
 *  - Deeply nested input is walked iteratively (no recursion limit issue).
 *  - Thread-safe: no global state.
 */
#ifndef LG_HTML_H
#define LG_HTML_H

#include <glib.h>

char *html_to_text(const char *html);

#endif
