using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Several metrics updated together with the same inputs (torchmetrics' <c>MetricCollection</c>); log them all with
/// <c>LogDict(collection)</c>, under their names with an optional prefix.
/// </summary>
public sealed class MetricCollection : nn.Module, IReadOnlyDictionary<string, Metric>
{
    private readonly Dictionary<string, Metric> metrics;

    /// <summary>Collects <paramref name="metrics"/> under their names; <paramref name="prefix"/> is put before every name (e.g. <c>"val_"</c>).</summary>
    public MetricCollection(IReadOnlyDictionary<string, Metric> metrics, string prefix = "") : base(nameof(MetricCollection))
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0) throw new ArgumentException("A MetricCollection needs at least one metric.", nameof(metrics));
        this.metrics = metrics.ToDictionary(p => prefix + p.Key, p => p.Value, StringComparer.Ordinal);
        foreach (var (name, metric) in this.metrics) register_module(name, metric);
    }

    /// <summary>Updates every metric with the batch.</summary>
    public void Update(Tensor preds, Tensor target)
    {
        foreach (var metric in metrics.Values) metric.Update(preds, target);
    }

    /// <summary>Every metric's value (over all processes under ddp).</summary>
    public IReadOnlyDictionary<string, Tensor> Compute() => metrics.ToDictionary(p => p.Key, p => p.Value.Compute(), StringComparer.Ordinal);

    /// <summary>Resets every metric.</summary>
    public void Reset()
    {
        foreach (var metric in metrics.Values) metric.Reset();
    }

    /// <inheritdoc />
    public Metric this[string key] => metrics[key];

    /// <inheritdoc />
    public IEnumerable<string> Keys => metrics.Keys;

    /// <inheritdoc />
    public IEnumerable<Metric> Values => metrics.Values;

    /// <inheritdoc />
    public int Count => metrics.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => metrics.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out Metric value) => metrics.TryGetValue(key, out value!);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Metric>> GetEnumerator() => metrics.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
