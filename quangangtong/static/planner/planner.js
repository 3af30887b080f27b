/* 产能规划: the run page's progress bar (polls status.json) and its ECharts charts. Plain ES5 for old hall PCs;
   without JavaScript the page refreshes itself while running, and every chart's numbers are in a table below it. */
(function () {
  "use strict";

  // --- progress -----------------------------------------------------------------------------------------------

  function poll(box) {
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("run-progress");
    var text = document.getElementById("run-progress-text");
    var label = document.getElementById("run-status-label");

    function show(status) {
      if (status.total) {
        bar.max = status.total;
        bar.value = status.done;
        text.textContent = "已完成 " + status.done + " / " + status.total + "（" + status.percent + "%）";
      }
      if (label) label.textContent = status.status_label;
    }

    function ask() {
      var request = new XMLHttpRequest();
      request.open("GET", url, true);
      request.setRequestHeader("Accept", "application/json");
      request.onload = function () {
        if (request.status !== 200) return setTimeout(ask, 3000);
        var status;
        try {
          status = JSON.parse(request.responseText);
        } catch (error) {
          return window.location.reload(); // signed out meanwhile: the page itself goes to the sign-in form
        }
        show(status);
        if (status.active) {
          setTimeout(ask, 1000);
        } else {
          window.location.reload();
        }
      };
      request.onerror = function () { setTimeout(ask, 3000); };
      request.send();
    }

    ask();
  }

  // --- charts -------------------------------------------------------------------------------------------------

  var TEXT = { fontFamily: "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif", fontSize: 13 };

  function mean(estimate) {
    if (estimate === null || estimate === undefined) return null;
    return typeof estimate === "number" ? estimate : estimate.mean;
  }

  function round(value, scale) {
    return value === null || value === undefined ? null : Math.round(value * scale * 10) / 10;
  }

  // A custom series drawing the 95 % interval [low, high] as an I-beam over each category.
  function errorBars(estimates, scale) {
    var points = [];
    estimates.forEach(function (estimate, index) {
      if (estimate && estimate.low !== null && estimate.high !== null && estimate.low !== undefined) {
        points.push([index, round(estimate.low, scale), round(estimate.high, scale)]);
      }
    });
    return {
      type: "custom",
      name: "95% 置信区间",
      data: points,
      z: 10,
      encode: { x: 0, y: [1, 2] },
      tooltip: { show: false },
      renderItem: function (params, api) {
        var x = api.value(0);
        var low = api.coord([x, api.value(1)]);
        var high = api.coord([x, api.value(2)]);
        var half = Math.max(3, api.size([1, 0])[0] * 0.12);
        var style = { stroke: "#222", lineWidth: 1.5 };
        return {
          type: "group",
          children: [
            { type: "line", shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style: style },
            { type: "line", shape: { x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1] }, style: style },
            { type: "line", shape: { x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1] }, style: style }
          ]
        };
      }
    };
  }

  function base(title, extra) {
    var option = {
      textStyle: TEXT,
      title: { text: title, left: 0, textStyle: { fontSize: 15 } },
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 16, top: 56, bottom: 8, containLabel: true },
      animation: false
    };
    for (var key in extra) option[key] = extra[key];
    return option;
  }

  function draw(id, option, height) {
    var element = document.getElementById(id);
    if (!element) return;
    if (height) element.style.height = height + "px";
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function categoryAxis(names, rotate) {
    return { type: "category", data: names, axisLabel: { interval: 0, rotate: rotate || 0 } };
  }

  function hourCurves(layouts) {
    var hours = [];
    Object.keys(layouts).forEach(function (name) {
      Object.keys(layouts[name].hours || {}).forEach(function (hour) {
        if (hours.indexOf(hour) < 0) hours.push(hour);
      });
    });
    hours.sort();
    var series = Object.keys(layouts).map(function (name) {
      var byHour = layouts[name].hours || {};
      return {
        type: "line",
        name: name,
        showSymbol: true,
        data: hours.map(function (hour) { return byHour[hour] ? round(mean(byHour[hour].mean_wait_minutes), 1) : null; })
      };
    });
    return { hours: hours, series: series };
  }

  function compareCharts(result) {
    var names = Object.keys(result.layouts || {});
    var rotate = names.length > 3 ? 30 : 0;
    var waits = names.map(function (name) { return result.layouts[name].mean_wait_minutes; });
    var shares = names.map(function (name) { return result.layouts[name].share_within; });
    draw("chart-compare-wait", base("平均等待（分钟），误差线为 95% 置信区间", {
      xAxis: categoryAxis(names, rotate),
      yAxis: { type: "value", name: "分钟", min: 0 },
      series: [
        { type: "bar", name: "平均等待（分钟）", data: waits.map(function (e) { return round(mean(e), 1); }) },
        errorBars(waits, 1)
      ]
    }));
    draw("chart-compare-share", base(result.within_minutes + " 分钟内叫号比例（%）", {
      xAxis: categoryAxis(names, rotate),
      yAxis: { type: "value", name: "%", min: 0, max: 100 },
      series: [
        { type: "bar", name: result.within_minutes + " 分钟内叫号（%）", itemStyle: { color: "#2e7d32" },
          data: shares.map(function (e) { return round(mean(e), 100); }) },
        errorBars(shares, 100)
      ]
    }));
    var curves = hourCurves(result.layouts || {});
    draw("chart-hours", base("各时段平均等待（分钟）", {
      legend: { type: "scroll", top: 24 },
      grid: { left: 8, right: 16, top: 64, bottom: 8, containLabel: true },
      xAxis: categoryAxis(curves.hours),
      yAxis: { type: "value", name: "分钟", min: 0 },
      series: curves.series
    }));
  }

  function runCharts(result) {
    var curves = hourCurves({ single: result });
    var byHour = result.hours || {};
    var estimates = curves.hours.map(function (hour) { return byHour[hour].mean_wait_minutes; });
    curves.series[0].name = "平均等待（分钟）";
    draw("chart-hours", base("各时段平均等待（分钟），误差线为 95% 置信区间", {
      xAxis: categoryAxis(curves.hours),
      yAxis: { type: "value", name: "分钟", min: 0 },
      series: [curves.series[0], errorBars(estimates, 1)]
    }));
    var officers = Object.keys(result.officers || {});
    var values = officers.map(function (name) { return round(mean(result.officers[name].utilisation), 100); });
    draw("chart-utilisation", base("人员利用率（%）", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", name: "%", min: 0, max: 100 },
      yAxis: { type: "category", data: officers, inverse: true, axisLabel: { interval: 0 } },
      series: [{ type: "bar", name: "利用率（%）", data: values, itemStyle: { color: "#b71c1c" } }]
    }), Math.max(240, 22 * officers.length + 90));
    var windows = Object.keys(result.window_utilisation || {}).sort(function (a, b) { return a - b; });
    if (windows.length) {
      var estimates = windows.map(function (name) { return result.window_utilisation[name]; });
      draw("chart-windows", base("窗口利用率（%），误差线为 95% 置信区间", {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        xAxis: categoryAxis(windows.map(function (name) { return name + "号"; })),
        yAxis: { type: "value", name: "%", min: 0, max: 100 },
        series: [
          { type: "bar", name: "利用率（%）", data: estimates.map(function (e) { return round(mean(e), 100); }),
            itemStyle: { color: "#0d47a1" } },
          errorBars(estimates, 100)
        ]
      }));
    }
  }

  var WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

  function staffCharts(result) {
    var days = result.requirements || [];
    var hours = [];
    days.forEach(function (day) {
      (day.hours || []).forEach(function (hour) { if (hours.indexOf(hour.start) < 0) hours.push(hour.start); });
    });
    hours.sort();
    var series = days.map(function (day) {
      var byStart = {};
      (day.hours || []).forEach(function (hour) { byStart[hour.start] = hour.officers; });
      var index = day.weekday_index;
      return {
        type: "bar",
        name: typeof index === "number" && WEEKDAYS[index] ? WEEKDAYS[index] : String(day.weekday),
        data: hours.map(function (hour) { return byStart[hour] === undefined ? null : byStart[hour]; })
      };
    });
    draw("chart-staff", base("各时段最少在岗人数", {
      legend: { type: "scroll", top: 24 },
      grid: { left: 8, right: 16, top: 64, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: categoryAxis(hours),
      yAxis: { type: "value", name: "人", minInterval: 1, min: 0 },
      series: series
    }));
  }

  function crossTrainCharts(result) {
    var baseline = result.baseline;
    var baselineWait = baseline && baseline.mean_wait_minutes !== undefined ? baseline.mean_wait_minutes : baseline;
    var names = ["现状"];
    var estimates = [baselineWait];
    (result.steps || []).forEach(function (step, index) {
      names.push((index + 1) + ". " + step.officer + " 学 " + step.skill);
      estimates.push(step.mean_wait_minutes);
    });
    draw("chart-cross-train", base("逐项培训后的平均等待（分钟）", {
      xAxis: categoryAxis(names, names.length > 3 ? 30 : 0),
      yAxis: { type: "value", name: "分钟", min: 0 },
      series: [
        { type: "line", name: "平均等待（分钟）", step: false, data: estimates.map(function (e) { return round(mean(e), 1); }) },
        errorBars(estimates, 1)
      ]
    }));
  }

  function charts() {
    var holder = document.getElementById("plan-charts");
    var data = document.getElementById("plan-result");
    var canvas = document.createElement("canvas");
    if (!holder || !data || !window.echarts || !canvas.getContext) return;
    var result = JSON.parse(data.textContent);
    var kind = holder.getAttribute("data-kind");
    if (kind === "compare") compareCharts(result);
    else if (kind === "run") runCharts(result);
    else if (kind === "staff") staffCharts(result);
    else if (kind === "cross-train") crossTrainCharts(result);
  }

  function start() {
    var box = document.getElementById("run-progress-box");
    if (box) poll(box);
    charts();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
