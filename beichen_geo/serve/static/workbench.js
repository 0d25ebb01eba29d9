// The study's name and size, inserted as text (data is never markup).
fetch("api/info").then(r => r.json()).then(info => {
  const p = document.getElementById("study");
  if (info.error) { p.textContent = info.error; return; }
  p.textContent = `Study: ${info.data}, ${info.area_km2} km², ${info.demand_cells} demand cells; ` +
    `residents: ${info.population_source}.`;
}).catch(() => {});
