// The portal's browser code. Pages are rendered on the server; this file only adds htmx (partial updates),
// draws the charts whose data the server put in the page, so nothing is fetched from another origin, and keeps
// what was typed in a form whose session ended.
import htmx from "htmx.org";
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([LineChart, BarChart, PieChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, CanvasRenderer]);

window.htmx = htmx;

// Every chart drawn on the page, by its element id: end-to-end tests read what was drawn from here.
const charts = new Map();
window.resonanceCharts = charts;

function palette(element) {
  const style = getComputedStyle(element);
  const brand = style.getPropertyValue("--brand").trim() || "#3056d3";
  return [brand, "#e07b39", "#2a9d8f", "#8e5ea2", "#c0392b", "#7f8c8d"];
}

function lineOption(data) {
  return {
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", bottom: 0 },
    grid: { left: 56, right: 16, top: 32, bottom: 56 },
    xAxis: { type: "time", axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", name: data.unit || "", scale: true },
    series: data.series.map((line) => ({
      name: line.name,
      type: "line",
      showSymbol: false,
      data: line.points,
    })),
  };
}

function barOption(data) {
  return {
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", bottom: 0 },
    grid: { left: 56, right: 16, top: 32, bottom: 56 },
    xAxis: { type: "category", data: data.categories, axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", name: data.unit || "" },
    series: data.series.map((bars) => ({ name: bars.name, type: "bar", data: bars.values })),
  };
}

function pieOption(data) {
  return {
    tooltip: { trigger: "item" },
    legend: { type: "scroll", bottom: 0 },
    series: [{ type: "pie", radius: ["40%", "70%"], data: data.slices }],
  };
}

const BUILDERS = { line: lineOption, bar: barOption, pie: pieOption };

function draw(element) {
  const source = element.querySelector("script[type='application/json']");
  const build = BUILDERS[element.dataset.chart];
  if (!source || !build) return;
  const data = JSON.parse(source.textContent);
  const canvas = element.querySelector(".chart-canvas") || element;
  const previous = charts.get(element.id);
  if (previous) previous.dispose();
  const chart = echarts.init(canvas, null, { renderer: "canvas" });
  // The aria component describes the chart in words for screen readers.
  chart.setOption({ aria: { enabled: true }, color: palette(element), animation: false, ...build(data) });
  charts.set(element.id, chart);
}

function drawAll(root) {
  root.querySelectorAll("[data-chart]").forEach(draw);
}

document.addEventListener("DOMContentLoaded", () => drawAll(document));
document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));

// A form sent after the session ended (the server answers with the sign-in page and `expired=1`) must not lose
// what was typed. Each form sent from a signed-in page is kept in this tab's sessionStorage (never a password,
// a file or a hidden field such as the CSRF token); the sign-in page marks it as awaiting when it says the
// session ended; the next signed-in page puts it back in the form with the same action, once. Any other page
// load forgets it: the form was sent and answered.
const KEPT = "resonance:kept-form";

function formPath(form) {
  return new URL(form.getAttribute("action") || "", window.location.href).pathname;
}

function keepForm(event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !document.body.hasAttribute("data-signed-in")) return;
  if (form.method.toLowerCase() !== "post" || form.hasAttribute("data-no-keep")) return;
  const fields = [];
  for (const element of form.elements) {
    if (!element.name || ["password", "hidden", "file", "submit", "button"].includes(element.type)) continue;
    const checkable = element.type === "checkbox" || element.type === "radio";
    fields.push({ name: element.name, value: element.value, checked: checkable ? element.checked : null });
  }
  sessionStorage.setItem(KEPT, JSON.stringify({ action: formPath(form), fields, awaiting: false }));
}

function restoreForm() {
  const raw = sessionStorage.getItem(KEPT);
  if (!raw) return;
  const kept = JSON.parse(raw);
  if (!document.body.hasAttribute("data-signed-in")) {
    // The sign-in page (perhaps after a wrong password): keep it until signed in.
    if (new URLSearchParams(window.location.search).get("expired") === "1") {
      sessionStorage.setItem(KEPT, JSON.stringify({ ...kept, awaiting: true }));
    }
    return;
  }
  sessionStorage.removeItem(KEPT);
  if (!kept.awaiting) return;
  const form = [...document.forms].find((candidate) => formPath(candidate) === kept.action);
  if (!form) return;
  for (const field of kept.fields) {
    const element = form.elements.namedItem(field.name);
    if (!element) continue;
    if (element instanceof RadioNodeList) {
      element.forEach((choice) => {
        if (field.checked !== null && choice.value === field.value) choice.checked = field.checked;
      });
    } else if (field.checked !== null) {
      element.checked = field.checked;
    } else {
      element.value = field.value;
    }
  }
  const notice = document.createElement("p");
  notice.className = "notice";
  notice.setAttribute("role", "status");
  notice.id = "form-kept";
  notice.textContent = document.body.dataset.keptNotice || "";
  form.before(notice);
  form.querySelector("input:not([type=hidden]), select, textarea")?.focus();
}

document.addEventListener("submit", keepForm, true);
document.addEventListener("DOMContentLoaded", restoreForm);
