// The dashboard works without this script; it adds the live refresh of the overview's tiles and
// applies a picked channel, agent, metric, granularity or the business-hours switch at once.
(function () {
  for (const select of document.querySelectorAll("[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  const live = document.querySelector("[data-live-url]");
  if (!live) return;
  const every = Number(live.dataset.liveSeconds) * 1000;
  const stamp = live.querySelector(".stamp");
  async function refresh() {
    try {
      const response = await fetch(live.dataset.liveUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const counters = await response.json();
        for (const tile of live.querySelectorAll("[data-live]")) {
          const value = counters[tile.dataset.live];
          tile.dataset.value = value;
          tile.querySelector(".value").textContent = value;
        }
        stamp.textContent = "live, updated " + new Date().toLocaleTimeString();
      } else {
        stamp.textContent = "live refresh failed (" + response.status + "), retrying";
      }
    } catch (error) {
      stamp.textContent = "live refresh failed, retrying";
    } finally {
      setTimeout(refresh, every);
    }
  }
  setTimeout(refresh, every);
})();
