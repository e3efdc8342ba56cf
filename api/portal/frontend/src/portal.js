// The portal's browser code. Pages are rendered on the server; this file only adds htmx (partial updates) and
// draws the charts whose data the server put in the page, so nothing is fetched from another origin.
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
    grid: { left: 48, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "time" },
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
    grid: { left: 48, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: data.categories },
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
