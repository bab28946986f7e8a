// userops web: stream a thread's progress in plain words; keep forms from double posting.
// No framework, no build, nothing fetched from another host.

const $ = (sel, root = document) => root.querySelector(sel);

function say(list, text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  list.append(li);
  return li;
}

async function streamMessage(form) {
  const box = $("#goal", form);
  const text = box.value.trim();
  if (!text) return;
  const progress = JSON.parse(form.dataset.progress || "{}");
  const errors = JSON.parse(form.dataset.errors || "{}");
  const list = $("#progress");
  const errorLine = $("#chat-error", form);
  const button = $("#send", form);
  const tid = form.dataset.thread;
  errorLine.hidden = true;
  button.disabled = true;
  const mine = document.createElement("li");
  mine.className = "msg msg-you";
  const p = document.createElement("p");
  p.textContent = text;
  mine.append(p);
  $("#conversation").append(mine);
  list.replaceChildren();
  let current = null;
  const fail = (msg) => {
    errorLine.textContent = msg;
    errorLine.hidden = false;
    button.disabled = false;
  };
  let resp;
  try {
    resp = await fetch(`/ui/chat/${encodeURIComponent(tid)}/stream`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
      body: JSON.stringify({ text }),
      credentials: "same-origin",
    });
  } catch (e) {
    return fail(errors.network);
  }
  if (!resp.ok) {
    let detail = "";
    try { const b = await resp.json(); detail = typeof b.detail === "string" ? b.detail : ""; } catch (e) { /* not JSON */ }
    return fail(`${errors[String(resp.status)] || errors.other}${detail ? " — " + detail : ""}`);
  }
  const reader = resp.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev = (/^event: (.*)$/m.exec(block) || [])[1];
      const data = JSON.parse((/^data: (.*)$/m.exec(block) || [])[1] || "{}");
      if (ev === "progress") {
        if (current) current.classList.remove("now");
        current = say(list, progress[data.node] || data.node, "now");
        for (const m of data.messages || []) say(list, m, "said");
      } else if (ev === "state") {
        if (current) current.classList.remove("now");
        say(list, errors.done, "done");
        const lines = [...list.querySelectorAll("li")].map((li) => li.textContent);
        try { sessionStorage.setItem(`progress:${tid}`, JSON.stringify(lines)); } catch (e) { /* private mode */ }
        window.location.assign(`/ui/chat/${encodeURIComponent(tid)}`);
        return;
      } else if (ev === "error") {
        return fail(`${errors.other} — ${data.detail || ""}`);
      }
    }
  }
  button.disabled = false;
}

const composer = $("#composer");
if (composer) {
  // The steps of the run that just ended, said again after the page came back.
  const key = `progress:${composer.dataset.thread}`;
  const kept = sessionStorage.getItem(key);
  if (kept) {
    sessionStorage.removeItem(key);
    for (const line of JSON.parse(kept)) say($("#progress"), line, "done");
  }
  composer.addEventListener("submit", (e) => {
    if (!window.fetch || !window.TextDecoder) return; // the plain form post works without
    e.preventDefault();
    streamMessage(composer);
  });
  $("#goal", composer).addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) composer.requestSubmit();
  });
}

// A decision form posts once: its button waits while the thread runs on.
for (const form of document.querySelectorAll("form[method=post]")) {
  if (form.id === "composer") continue;
  form.addEventListener("submit", () => {
    for (const b of form.querySelectorAll("button[type=submit]")) b.disabled = true;
  });
}

// A thread that waits on someone else follows its events: progress in plain words as a
// decision runs, then the page comes back with the new state (results, next revision).
const follow = $("#conversation[data-follow]");
if (follow && window.EventSource) {
  const tid = follow.dataset.follow;
  const progress = JSON.parse(follow.dataset.progress || "{}");
  const source = new EventSource(`/ui/chat/${encodeURIComponent(tid)}/events`);
  source.addEventListener("progress", (e) => {
    const data = JSON.parse(e.data);
    say($("#progress"), progress[data.node] || data.node, "said");
  });
  source.addEventListener("state", (e) => {
    const data = JSON.parse(e.data);
    if (data.status !== follow.dataset.status || (data.approval_id || "") !== follow.dataset.approval) {
      source.close();
      window.location.reload();
    }
  });
}
