using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Builds a batch from samples (PyTorch's <c>default_collate</c>), typed: each field of the samples becomes one tensor
/// with a new first dimension, tensors stacked, numbers gathered (<c>long</c>/<c>int</c> → int64, <c>double</c> →
/// float64, <c>float</c> → float32, <c>bool</c> → bool). Samples and batches may be a tensor, a tensor array, a tuple,
/// a record (matched to the batch type's constructor parameters by name) or a dictionary of tensors.
/// </summary>
public static class Collate
{
    /// <summary>The default collation from <typeparamref name="TSample"/> to <typeparamref name="TBatch"/>; throws if it has none.</summary>
    public static Func<IReadOnlyList<TSample>, TBatch> Default<TSample, TBatch>()
    {
        var batchType = typeof(TBatch);
        if (batchType == typeof(Tensor))
            return samples => (TBatch)(object)Column(samples.Select(s => Single<TSample>(s)).ToList(), "sample");
        if (batchType == typeof(Tensor[]))
            return samples => (TBatch)(object)Fields(samples).Select((column, i) => Column(column, $"field {i}")).ToArray();
        if (IsStringDictionary(batchType))
            return samples => (TBatch)(object)DictionaryColumns(samples);
        var constructor = BatchConstructor(batchType)
            ?? throw new ArgumentException(
                $"There is no default way to collate {typeof(TSample).Name} samples into {batchType.Name} batches: batches may be a Tensor, Tensor[], " +
                "a tuple, a record or a Dictionary<string, Tensor> of tensors. Pass a collate function.", "collate");
        var parameters = constructor.GetParameters();
        var fieldsOf = SampleFields<TSample>(parameters);
        return samples =>
        {
            var columns = parameters.Select((p, i) => (object)Column(samples.Select(s => fieldsOf(s)[i]).ToList(), p.Name ?? $"field {i}")).ToArray();
            return (TBatch)constructor.Invoke(columns);
        };
    }

    /// <summary>Stacks tensors, or gathers numbers into a tensor.</summary>
    private static Tensor Column(IReadOnlyList<object?> values, string field)
    {
        if (values.Count == 0) throw new ArgumentException("A batch needs at least one sample.");
        return values[0] switch
        {
            Tensor => stack(values.Select(v => v as Tensor ?? throw Mixed(field)).ToArray()),
            long or int or short or byte => tensor(values.Select(v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
            double => tensor(values.Select(v => (double)v!).ToArray()),
            float => tensor(values.Select(v => (float)v!).ToArray()),
            bool => tensor(values.Select(v => (bool)v!).ToArray()),
            var other => throw new ArgumentException($"Cannot collate {field} of type {other?.GetType().Name ?? "null"}: only tensors and numbers are collated by default; pass a collate function."),
        };
    }

    private static ArgumentException Mixed(string field) => new($"Cannot collate {field}: some samples hold a tensor there and others do not.");

    private static object? Single<TSample>(TSample sample) => sample is ITuple tuple && tuple.Length == 1 ? tuple[0] : sample;

    /// <summary>The fields of every sample as columns: a tensor array's elements or a tuple's items.</summary>
    private static List<List<object?>> Fields<TSample>(IReadOnlyList<TSample> samples)
    {
        var columns = new List<List<object?>>();
        foreach (var sample in samples)
        {
            var fields = sample switch
            {
                Tensor[] array => array.Cast<object?>().ToArray(),
                ITuple tuple => Enumerable.Range(0, tuple.Length).Select(i => tuple[i]).ToArray(),
                Tensor single => [single],
                _ => throw new ArgumentException($"Cannot collate {typeof(TSample).Name} samples into Tensor[] batches; pass a collate function."),
            };
            while (columns.Count < fields.Length) columns.Add([]);
            for (int i = 0; i < fields.Length; i++) columns[i].Add(fields[i]);
        }
        return columns;
    }

    private static Dictionary<string, Tensor> DictionaryColumns<TSample>(IReadOnlyList<TSample> samples)
    {
        if (samples[0] is not IDictionary first)
            throw new ArgumentException($"Cannot collate {typeof(TSample).Name} samples into dictionary batches; samples must be dictionaries too.");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in first)
        {
            var key = (string)entry.Key;
            result[key] = Column(samples.Select(s => ((IDictionary)s!)[key]).ToList(), $"'{key}'");
        }
        return result;
    }

    private static bool IsStringDictionary(Type type)
        => type.IsGenericType && type.GetGenericTypeDefinition() is var definition
           && (definition == typeof(Dictionary<,>) || definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>))
           && type.GetGenericArguments()[0] == typeof(string) && type.GetGenericArguments()[1] == typeof(Tensor);

    /// <summary>A tuple's constructor, or a record's (the public constructor with the most parameters, all tensors).</summary>
    private static ConstructorInfo? BatchConstructor(Type batchType)
        => batchType.GetConstructors()
            .Where(c => c.GetParameters().Length > 0 && c.GetParameters().All(p => p.ParameterType == typeof(Tensor)))
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault();

    /// <summary>How to read, from a sample, the value for each batch constructor parameter: by position for tuples, by name for records.</summary>
    private static Func<TSample, object?[]> SampleFields<TSample>(ParameterInfo[] parameters)
    {
        var sampleType = typeof(TSample);
        if (typeof(ITuple).IsAssignableFrom(sampleType) || sampleType == typeof(Tensor[]))
            return sample => sample switch
            {
                ITuple tuple when tuple.Length == parameters.Length => Enumerable.Range(0, tuple.Length).Select(i => tuple[i]).ToArray(),
                Tensor[] array when array.Length == parameters.Length => array.Cast<object?>().ToArray(),
                _ => throw new ArgumentException($"A {sampleType.Name} sample does not have the {parameters.Length} fields of the batch type; pass a collate function."),
            };
        var properties = parameters.Select(p => sampleType.GetProperty(p.Name!, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
            ?? throw new ArgumentException($"{sampleType.Name} has no property '{p.Name}' for the batch's constructor parameter; pass a collate function.", "collate")).ToArray();
        return sample => properties.Select(p => p.GetValue(sample)).ToArray();
    }
}
