// The dashboard's charts, built in the browser with BokehJS's own API (bokeh-api.min.js) from
// the compact JSON specs of monitml.dashboard.charts: the server sends data, not Bokeh figures.
"use strict";
window.MonitmlCharts = (function () {
  const HEIGHT = 260;
  const TOOLS = "pan,box_zoom,reset,save";
  // Bokeh's Category10 and Reds9 (light to dark: 0 is white, 1 dark red).
  const CATEGORY10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const REDS = ["#fff5f0", "#fee0d2", "#fcbba1", "#fc9272", "#fb6a4a",
    "#ef3b2c", "#cb181d", "#a50f15", "#67000d"];

  // JSON has no NaN: the server sends null where a value is missing (a gap in a line).
  function numbers(values) {
    return Float64Array.from(values, (v) => (v === null ? NaN : v));
  }

  function figure(spec, options) {
    const plot = Bokeh.Plotting.figure({
      title: spec.title,
      height: HEIGHT,
      sizing_mode: "stretch_width",
      tools: TOOLS,
      toolbar_location: "right",
      x_axis_type: "datetime",
      ...options,
    });
    plot.toolbar.logo = null;
    return plot;
  }

  function hover(renderers, tooltips) {
    return new Bokeh.HoverTool({ renderers, tooltips, formatters: { "@at": "datetime" } });
  }

  function legend(plot) {
    plot.legend.location = "top_left";
    plot.legend.click_policy = "hide";
  }

  function predictions(spec) {
    const plot = figure(spec);
    spec.series.forEach((series, i) => {
      const colour = CATEGORY10[i % CATEGORY10.length];
      const source = new Bokeh.ColumnDataSource({
        data: {
          at: numbers(series.at),
          mean: numbers(series.mean),
          low: numbers(series.low),
          high: numbers(series.high),
          windows: series.windows,
        },
      });
      plot.varea({
        x: { field: "at" }, y1: { field: "low" }, y2: { field: "high" },
        source, color: colour, alpha: 0.15,
      });
      const line = plot.line({ field: "at" }, { field: "mean" }, {
        source, color: colour, line_width: 2, legend_label: series.version,
      });
      plot.add_tools(hover([line], [
        ["version", series.version],
        ["time", "@at{%F %H:%M}"],
        ["mean", "@mean{0.[000]}"],
        ["min", "@low{0.[000]}"],
        ["max", "@high{0.[000]}"],
        ["windows", "@windows"],
      ]));
    });
    legend(plot);
    return plot;
  }

  function drift(spec) {
    const plot = figure(spec, {
      y_range: [...spec.features].reverse(),
      height: Math.max(HEIGHT, 40 + 22 * spec.features.length),
    });
    const mapper = new Bokeh.LinearColorMapper({ palette: REDS, low: 0, high: 1 });
    const source = new Bokeh.ColumnDataSource({
      data: { at: numbers(spec.at), feature: spec.feature, share: numbers(spec.share) },
    });
    const cells = plot.rect({
      x: { field: "at" }, y: { field: "feature" }, width: spec.width, height: 0.9, source,
      fill_color: { field: "share", transform: mapper }, line_color: null,
    });
    plot.add_tools(hover([cells], [
      ["feature", "@feature"],
      ["around", "@at{%F %H:%M}"],
      ["drifted", "@share{0%}"],
    ]));
    plot.add_layout(new Bokeh.ColorBar({ color_mapper: mapper, width: 10 }), "right");
    plot.grid.grid_line_color = null;
    return plot;
  }

  function performance(spec) {
    // The metrics differ in scale: the y axis fits the lines shown (a legend click rescales).
    const plot = figure(spec, { y_range: new Bokeh.DataRange1d({ only_visible: true }) });
    const lines = spec.lines.map((line, i) => {
      const source = new Bokeh.ColumnDataSource({
        data: { at: numbers(line.at), value: numbers(line.value) },
      });
      return plot.line({ field: "at" }, { field: "value" }, {
        source, color: CATEGORY10[i % CATEGORY10.length], line_width: 2,
        line_dash: line.dash || "solid", legend_label: line.label, visible: line.visible,
      });
    });
    plot.add_tools(hover(lines, [["time", "@at{%F %H:%M}"], ["value", "@value{0.[0000]}"]]));
    legend(plot);
    return plot;
  }

  const DRAW = { predictions, drift, performance };

  // Draws one spec into `element`; resolves to the plot's view (remove it with view.remove()).
  function draw(spec, element) {
    const build = DRAW[spec.kind];
    if (!build) return Promise.reject(new Error("unknown chart kind " + spec.kind));
    return Bokeh.Plotting.show(build(spec), element);
  }

  return { draw };
})();
