// Page behaviour for the back office. No inline scripts anywhere: the CSP forbids them.
document.addEventListener("htmx:configRequest", (event) => {
  // htmx requests carry the CSRF token from the cookie-less form field Django renders.
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) event.detail.headers["X-CSRFToken"] = token.value;
});

// A background request refused for an ended session: reload, which leads to the sign-in page.
document.addEventListener("htmx:responseError", (event) => {
  if (event.detail.xhr.status === 401) window.location.reload();
});

// --- The live alert console -------------------------------------------------------------------

(() => {
  const feed = document.getElementById("alert-feed");
  if (!feed) return;
  const banner = document.getElementById("feed-banner");
  const live = document.getElementById("live-status");
  const toggle = document.getElementById("sound-toggle");

  // The feed connection: a banner while it is down. On every (re)connection the server sends
  // `stream-open` and the feed refreshes from the database, so nothing raised meanwhile is missed.
  const showLive = (state, text) => { live.dataset.state = state; live.textContent = text; };
  document.body.addEventListener("htmx:sseOpen", () => {
    banner.hidden = true;
    showLive("live", "Live");
  });
  document.body.addEventListener("htmx:sseError", () => {
    banner.hidden = false;
    showLive("down", "Disconnected");
    // If the stream is refused because the session has ended, the refresh is refused too
    // (401), and the page goes to the sign-in page rather than leaving alerts on screen.
    htmx.trigger(feed, "anpr:refresh");
  });

  // Sound by priority: critical three high beeps, high two, medium and low one, lower.
  const TONES = { 1: [988, 3], 2: [784, 2], 3: [659, 1], 4: [523, 1] };
  let audio = null;
  const soundOn = () => localStorage.getItem("anpr.sound") !== "off";
  const showSound = () => {
    toggle.setAttribute("aria-pressed", String(soundOn()));
    toggle.textContent = soundOn() ? "Sound on" : "Sound muted";
  };
  const play = (priority) => {
    audio = audio || new AudioContext();
    audio.resume();
    if (audio.state !== "running") {
      // The browser holds sound back until the operator has clicked on the page: say so.
      toggle.textContent = "Sound blocked: click to allow";
      toggle.dataset.blocked = "true";
    }
    const [frequency, beeps] = TONES[priority] || TONES[4];
    for (let i = 0; i < beeps; i += 1) {
      const start = audio.currentTime + i * 0.22;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.25, start);
      gain.gain.exponentialRampToValueAtTime(0.001, start + 0.18);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.2);
    }
    toggle.dataset.sounds = String(Number(toggle.dataset.sounds) + 1);
    toggle.dataset.lastSound = String(priority);
  };
  toggle.addEventListener("click", () => {
    localStorage.setItem("anpr.sound", soundOn() ? "off" : "on");
    if (soundOn()) (audio = audio || new AudioContext()).resume(); // a click may unlock audio
    delete toggle.dataset.blocked;
    showSound();
  });
  showSound();

  // Alerts already heard (new, and escalated, count separately); the first render is not news.
  const keyOf = (row) => `${row.dataset.alertId}${"escalated" in row.dataset ? "!" : ""}`;
  const waiting = () => feed.querySelectorAll(".queue tr[data-alert-id]");
  const heard = new Set(Array.from(waiting(), keyOf));
  feed.addEventListener("htmx:afterSwap", () => {
    let most = null;
    waiting().forEach((row) => {
      const key = keyOf(row);
      if (heard.has(key)) return;
      heard.add(key);
      const priority = "escalated" in row.dataset ? 1 : Number(row.dataset.priority);
      most = most === null ? priority : Math.min(most, priority);
    });
    if (most !== null && soundOn()) play(most);
  });
})();

// Leaflet shows a string tooltip as HTML: names go in as text.
const text = (value) => document.createTextNode(value);

// --- A vehicle's history on a map (Leaflet; tiles only where the force has a tile server) ---

(() => {
  const element = document.getElementById("history-map");
  if (!element || !window.L) return;
  const points = JSON.parse(document.getElementById("history-points").textContent);
  const map = L.map(element, { attributionControl: false });
  if (element.dataset.tiles) L.tileLayer(element.dataset.tiles, { maxZoom: 18 }).addTo(map);
  const most = Math.max(...points.map((p) => p.reads), 1);
  const markers = points.map((p) =>
    L.circleMarker([p.lat, p.lon], { radius: 6 + 14 * (p.reads / most), color: "#f5c400" })
      .bindTooltip(text(`${p.name}: ${p.reads} read${p.reads === 1 ? "" : "s"}`), { permanent: true })
      .addTo(map));
  if (markers.length) map.fitBounds(L.featureGroup(markers).getBounds().pad(0.3), { maxZoom: 14 });
  element.dataset.ready = String(markers.length);
})();

// --- Camera sites on a map (only rendered for those who may see exact locations) ---

(() => {
  const element = document.getElementById("sites-map");
  if (!element || !window.L) return;
  const map = L.map(element, { attributionControl: false }).setView([54, -2], 6);
  if (element.dataset.tiles) L.tileLayer(element.dataset.tiles, { maxZoom: 18 }).addTo(map);
  const colours = { live: "#3fb950", under_review: "#f5c400", decommissioned: "#8b949e" };
  fetch(element.dataset.source, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      const layer = L.geoJSON(data, {
        pointToLayer: (feature, latlng) => L.circleMarker(latlng, {
          radius: 7, color: colours[feature.properties.status_key] || "#58a6ff",
        }),
        onEachFeature: (feature, marker) => {
          const p = feature.properties;
          marker.bindTooltip(text(`${p.reference} ${p.name} (${p.status})`));
          marker.on("click", () => { window.location.href = p.url; });
        },
      }).addTo(map);
      if (data.features.length) map.fitBounds(layer.getBounds().pad(0.3), { maxZoom: 14 });
      element.dataset.ready = String(data.features.length);
    });
})();
