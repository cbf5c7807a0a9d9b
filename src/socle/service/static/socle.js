// Socle web interface: streaming answers, feedback and uploads without reloading the page.
// Every form also works without this script (the server renders the same result).
"use strict";

function csrf() {
  return document.querySelector("main").dataset.csrf;
}

function sourceHref(c) {
  // A citation's (or closest passage's) document, the span highlighted, and the way back.
  if (c.passage_id < 0) return "/corrections/" + (-c.passage_id);
  return "/documents/" + encodeURIComponent(c.collection) + "?passage=" + c.passage_id +
    "&debut=" + c.start + "&fin=" + c.end + "&retour=" + encodeURIComponent(window.location.pathname) + "#citation";
}

function frNumber(value, digits) {
  return Number(value).toLocaleString("fr-FR", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderText(container, text, answerId) {
  // The answer text with its [n] markers as links to this answer's own sources, without innerHTML.
  container.textContent = "";
  const parts = text.split(/(\[\d+\])/);
  for (const part of parts) {
    const m = part.match(/^\[(\d+)\]$/);
    if (m) container.appendChild(el("a", { href: "#source-" + answerId + "-" + m[1], class: "marker" }, part));
    else container.appendChild(document.createTextNode(part));
  }
}

function renderAnswer(article, text, extra) {
  const id = extra.answer_id;
  article.id = "reponse-" + id;
  article.dataset.answerId = id;
  article.classList.toggle("abstained", extra.abstained);
  article.classList.toggle("tentative", Boolean(extra.tentative));
  article.querySelector(".to-check").hidden = !extra.tentative;
  article.querySelector(".model").textContent = extra.model;
  // A response written by a chatbot's author is no AI output: no mark, no footprint.
  for (const sel of [".ai-mark", ".footprint"]) article.querySelector(sel).hidden = !extra.ai_generated;
  article.querySelector(".answer-text").classList.toggle("html", Boolean(extra.html));
  if (extra.html) article.querySelector(".answer-text").innerHTML = extra.html; // rendered by the server, raw HTML escaped
  else renderText(article.querySelector(".answer-text"), text, id);
  renderChoices(article.querySelector(".answer-choices"), extra.choices || []);
  const next = article.querySelector(".next-step");
  next.hidden = !extra.next_step;
  next.querySelector(".next-step-text").textContent = extra.next_step || "";
  const sources = article.querySelector(".sources");
  sources.textContent = "";
  const cited = extra.citations.length > 0;
  const list = cited ? extra.citations : extra.closest_passages;
  if (list.length) {
    sources.appendChild(el("h4", {}, cited ? "Sources" : "Ce qui s'en approche le plus dans les documents"));
    const ol = el(cited ? "ol" : "ul", { class: cited ? "citations" : "citations closest" });
    for (const c of list) {
      const li = cited ? el("li", { id: "source-" + id + "-" + c.number, value: String(c.number) }) : el("li");
      // Opened in a new tab, beside the conversation (and said so to screen readers).
      const link = el("a", { href: sourceHref(c), target: "_blank", rel: "noopener" }, cited ? c.document_title : c.title);
      if (cited) link.className = "citation-link";
      link.appendChild(el("span", { class: "visually-hidden" }, " (nouvel onglet)"));
      li.appendChild(link);
      if (c.location) li.appendChild(document.createTextNode(" — " + c.location));
      li.appendChild(el("blockquote", {}, cited ? c.quote : (c.excerpt || c.text.slice(0, 280))));
      ol.appendChild(li);
    }
    sources.appendChild(ol);
  }
  const f = extra.footprint;
  article.querySelector(".footprint-figures").textContent = frNumber(f.wall_s, 2) + " s, " +
    frNumber(f.energy_wh * 1000, 3) + " mWh, " + frNumber(f.carbon_g, 4) + " g CO2e";
  article.querySelector(".notice-ai").textContent = extra.notice;
  article.querySelector("input[name=answer_id]").value = id;
  article.querySelector("input[name=conversation]").value = extra.conversation_id || 0;
  if (extra.warnings && extra.warnings.length) {
    const ul = el("ul", { class: "warnings" });
    for (const w of extra.warnings) ul.appendChild(el("li", {}, w));
    article.insertBefore(ul, article.querySelector(".footprint"));
  }
}

function renderChoices(container, choices) {
  container.textContent = "";
  if (!choices.length) return;
  const ul = el("ul", { class: "choices", "aria-label": "Choix proposés" });
  for (const c of choices) {
    const li = el("li");
    const b = el("button", { type: "button", class: "choice" }, c.label);
    b.addEventListener("click", () => ask(document.getElementById("ask-form"), c.label, c.target));
    li.appendChild(b);
    ul.appendChild(li);
  }
  container.appendChild(ul);
}

function reveal(node) {
  // The newest answer at the bottom, brought into view (on a phone it would sit below the screen).
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  node.scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
}

function joinConversation(form, conversationId, question) {
  // The first answer of a new conversation: the page becomes that conversation's page, so that
  // a reload, a citation and Back all come back to it, and it appears in the list.
  const conversation = document.getElementById("conversation");
  if (!conversationId || conversation.dataset.conversation === String(conversationId)) return;
  conversation.dataset.conversation = String(conversationId);
  const url = "/a/" + encodeURIComponent(form.dataset.assistant) + "/c/" + conversationId;
  window.history.replaceState(null, "", url);
  form.action = url;
  for (const a of document.querySelectorAll(".conversations [aria-current]")) a.removeAttribute("aria-current");
  const list = document.getElementById("conversation-list");
  const li = el("li");
  li.appendChild(el("a", { href: url, "aria-current": "page" }, question.length > 80 ? question.slice(0, 80) + " …" : question));
  list.prepend(li);
  const empty = document.getElementById("no-conversation");
  if (empty) empty.remove();
  for (const a of document.querySelectorAll(".answer .sources a")) {
    a.href = a.href.replace(/retour=[^&#]*/, "retour=" + encodeURIComponent(url));
  }
}

async function ask(form, question, choice) {
  const assistant = form.dataset.assistant;
  const conversation = document.getElementById("conversation");
  const template = document.getElementById("answer-template");
  const article = template.content.firstElementChild.cloneNode(true);
  const status = document.getElementById("answer-status");
  article.querySelector(".question-echo").append(question);
  article.querySelector(".answer-text").textContent = "Recherche dans les documents…";
  for (const s of document.querySelectorAll(".suggestions, .chatbot-intro")) s.hidden = true;
  conversation.append(article);
  reveal(article);
  status.textContent = "Recherche dans les documents…";
  bindRating(article.querySelector("form.rate"));
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  let preview = "";
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify({ model: assistant, stream: true, messages: [{ role: "user", content: question }],
        socle_choice: choice || null, socle_sources: "none", // this page draws the sources itself
        socle_conversation: Number(conversation.dataset.conversation || 0) }), // Socle keeps the history
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error((body.error && body.error.message) || "Erreur " + response.status);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const line = buffer.slice(0, cut).trim();
        buffer = buffer.slice(cut + 2);
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") continue;
        const event = JSON.parse(data);
        if (event.error) throw new Error(event.error.message);
        const delta = event.choices[0].delta;
        if (event.socle && event.socle.preview) {
          preview += event.socle.preview;
          article.querySelector(".answer-text").textContent = preview + " …";
        }
        if (delta.content) text += delta.content;
        if (event.socle && event.socle.answer_id) {
          joinConversation(form, event.socle.conversation_id, question);
          renderAnswer(article, text, event.socle);
          status.textContent = event.socle.abstained ? "Pas de réponse trouvée dans les documents." : "Réponse prête.";
          reveal(article);
        }
      }
    }
  } catch (err) {
    article.querySelector(".answer-text").textContent = "La question n'a pas pu aboutir : " + err.message;
    article.classList.add("failed");
    status.textContent = "La question n'a pas pu aboutir.";
  } finally {
    button.disabled = false;
  }
}

function bindRating(form) {
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const status = form.querySelector(".rate-status");
    const response = await fetch("/v1/feedback", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify({
        answer_id: Number(data.get("answer_id")),
        useful: data.get("useful") === "oui",
        comment: data.get("comment") || "",
        correction: data.get("correction") || "",
      }),
    });
    const body = await response.json().catch(() => ({}));
    status.textContent = response.ok ? "Merci, votre avis a été enregistré." :
      "Avis non enregistré : " + ((body.error && body.error.message) || response.status);
    if (response.ok) form.querySelector("button[type=submit]").disabled = true;
  });
}

function bindUpload(form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const bar = form.querySelector(".upload-progress");
    bar.hidden = false;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("load", () => { window.location.assign(xhr.responseURL); });
    xhr.send(new FormData(form));
  });
}

function pollJob(box) {
  const update = async () => {
    const response = await fetch("/v1/jobs/" + box.dataset.job);
    if (!response.ok) return;
    const job = await response.json();
    box.querySelector(".job-done").textContent = job.done;
    const searchable = box.querySelector(".job-searchable");
    if (searchable && job.report) searchable.textContent = job.report.searchable;
    const bar = box.querySelector("progress");
    if (job.report && job.report.chunks_total) bar.max = job.report.chunks_total;
    bar.value = job.done;
    if (job.status === "done" || job.status === "failed") window.location.reload();
    else setTimeout(update, 1000);
  };
  setTimeout(update, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("ask-form");
  if (form) {
    const box = form.querySelector("textarea");
    const send = (question) => {
      if (!question) return;
      box.value = ""; // the box empties once the question is sent
      ask(form, question);
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(box.value.trim());
    });
    box.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter adds a line (and no sending while an input method composes).
      if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.isComposing) {
        event.preventDefault();
        if (!form.querySelector("button[type=submit]").disabled) send(box.value.trim());
      }
    });
    for (const b of document.querySelectorAll(".suggestion")) {
      b.addEventListener("click", () => send(b.dataset.question));
    }
    const last = document.querySelector("#conversation article.answer:last-of-type");
    if (last && !window.location.hash) reveal(last);
  }
  for (const f of document.querySelectorAll("#conversation form.rate")) bindRating(f);
  for (const f of document.querySelectorAll("form.choice-form")) {
    f.addEventListener("submit", (event) => {
      event.preventDefault();
      ask(document.getElementById("ask-form"), f.elements.question.value, f.elements.choice.value);
    });
  }
  const upload = document.getElementById("upload-form");
  if (upload) bindUpload(upload);
  const job = document.getElementById("job");
  if (job && (job.dataset.status === "pending" || job.dataset.status === "running")) pollJob(job);
  const mark = document.getElementById("citation");
  if (mark) mark.focus();
});
