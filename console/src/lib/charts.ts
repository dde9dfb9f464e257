/**
 * ECharts, tree-shaken: the core, the three chart types and the components the dashboard draws
 * with, on the canvas renderer. Imported only by the dashboard, which App.tsx loads lazily, so the
 * first page's JavaScript does not carry it.
 */
import { useEffect, useRef } from "react";
import { BarChart, HeatmapChart, LineChart, type BarSeriesOption, type HeatmapSeriesOption, type LineSeriesOption } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type TooltipComponentOption,
  type VisualMapComponentOption,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export type ChartOption = echarts.ComposeOption<
  BarSeriesOption | LineSeriesOption | HeatmapSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | VisualMapComponentOption
>;

/** Bucket colours, green (current) to dark red (M7+), so a stack reads as ageing. */
export const BUCKET_COLORS = ["#4c9a5a", "#a5c95a", "#f2d15c", "#f0a04b", "#e0703a", "#c94a33", "#a3302b", "#6e1f1f"];

/**
 * Draws `option` into the returned element's ref: one chart instance per element, its option
 * replaced when it changes, resized with the element (window or layout), disposed on unmount.
 */
export function useChart<T extends HTMLElement>(option: ChartOption) {
  const ref = useRef<T>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const c = echarts.init(el, undefined, { renderer: "canvas" });
    chart.current = c;
    const observer = new ResizeObserver(() => c.resize());
    observer.observe(el);
    // The canvas draws text in the page's fonts (Chinese needs the web font); once a font has loaded, draw again.
    const redraw = () => c.setOption({ textStyle: { fontFamily: getComputedStyle(el).fontFamily } });
    redraw();
    document.fonts.addEventListener("loadingdone", redraw);
    return () => {
      document.fonts.removeEventListener("loadingdone", redraw);
      observer.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    const c = chart.current;
    if (!c || !ref.current) return;
    c.setOption(option, { notMerge: true });
    c.setOption({ textStyle: { fontFamily: getComputedStyle(ref.current).fontFamily } });
  }, [option]);
  return ref;
}
