// Socle web interface: streaming answers, feedback and uploads without reloading the page.
// Every form also works without this script (the server renders the same result).
"use strict";

function csrf() {
  return document.querySelector("main").dataset.csrf;
}

function documentLink(c) {
  if (c.passage_id < 0) return "/corrections/" + (-c.passage_id);
  return "/documents/" + encodeURIComponent(c.collection) + "?cle=" + encodeURIComponent(c.document_key) +
    "&debut=" + c.start + "&fin=" + c.end + "#citation";
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function renderText(container, text) {
  // The answer text with its [n] markers as links to the sources, built without innerHTML.
  container.textContent = "";
  const parts = text.split(/(\[\d+\])/);
  for (const part of parts) {
    const m = part.match(/^\[(\d+)\]$/);
    if (m) container.appendChild(el("a", { href: "#source-" + m[1], class: "marker" }, part));
    else container.appendChild(document.createTextNode(part));
  }
}

function renderAnswer(article, text, extra) {
  article.dataset.answerId = extra.answer_id;
  article.classList.toggle("abstained", extra.abstained);
  article.classList.toggle("tentative", Boolean(extra.tentative));
  article.querySelector(".to-check").hidden = !extra.tentative;
  article.querySelector(".model").textContent = extra.model;
  // A response written by a chatbot's author is no AI output: no mark, no footprint.
  for (const sel of [".ai-mark", ".footprint", ".notice-ai"]) article.querySelector(sel).hidden = !extra.ai_generated;
  article.querySelector(".answer-text").classList.toggle("html", Boolean(extra.html));
  if (extra.html) article.querySelector(".answer-text").innerHTML = extra.html; // rendered by the server, raw HTML escaped
  else renderText(article.querySelector(".answer-text"), text);
  renderChoices(article.querySelector(".answer-choices"), extra.choices || []);
  const sources = article.querySelector(".sources");
  sources.textContent = "";
  const list = extra.citations.length ? extra.citations : extra.closest_passages;
  if (list.length) {
    sources.appendChild(el("h3", {}, extra.citations.length ? "Sources" : "Passages les plus proches"));
    const ol = el(extra.citations.length ? "ol" : "ul", { class: "citations" });
    for (const c of extra.citations) {
      const li = el("li", { id: "source-" + c.number, value: String(c.number) });
      li.appendChild(el("a", { href: documentLink(c), class: "citation-link" }, c.document_title));
      if (c.location) li.appendChild(document.createTextNode(" — " + c.location));
      li.appendChild(el("blockquote", {}, c.quote));
      ol.appendChild(li);
    }
    for (const p of extra.citations.length ? [] : extra.closest_passages) {
      const li = el("li");
      li.appendChild(el("a", { href: documentLink({ collection: p.collection, document_key: p.document, start: p.start, end: p.end, passage_id: p.passage_id }) }, p.title));
      ol.appendChild(li);
    }
    sources.appendChild(ol);
  }
  const f = extra.footprint;
  article.querySelector(".footprint").textContent = "Empreinte : " + f.wall_s.toFixed(2) + " s, " +
    (f.energy_wh * 1000).toFixed(3) + " mWh, " + f.carbon_g.toFixed(4) + " gCO2e";
  article.querySelector(".notice-ai").textContent = extra.notice;
  article.querySelector("input[name=answer_id]").value = extra.answer_id;
  if (extra.warnings && extra.warnings.length) {
    const ul = el("ul", { class: "warnings" });
    for (const w of extra.warnings) ul.appendChild(el("li", {}, w));
    article.insertBefore(ul, article.querySelector(".notice-ai"));
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

async function ask(form, question, choice) {
  const assistant = form.dataset.assistant;
  const template = document.getElementById("answer-template");
  const article = template.content.firstElementChild.cloneNode(true);
  article.querySelector(".question-echo").textContent = question;
  article.querySelector(".answer-text").textContent = "Recherche dans les documents…";
  const conversation = document.getElementById("conversation");
  conversation.prepend(article);
  bindRating(article.querySelector("form.rate"));
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  let preview = "";
  try {
    const response = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify({ model: assistant, stream: true, messages: [{ role: "user", content: question }],
        socle_choice: choice || null, socle_sources: "none" }), // this page draws the sources itself
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
        if (event.socle && event.socle.answer_id) renderAnswer(article, text, event.socle);
      }
    }
  } catch (err) {
    article.querySelector(".answer-text").textContent = "La question n'a pas pu aboutir : " + err.message;
    article.classList.add("failed");
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
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const question = form.querySelector("textarea").value.trim();
      if (question) ask(form, question);
    });
    for (const b of document.querySelectorAll(".suggestion")) {
      b.addEventListener("click", () => {
        form.querySelector("textarea").value = b.dataset.question;
        ask(form, b.dataset.question);
      });
    }
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
