using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Walks a batch (a tensor, or tuples, records, arrays, lists and dictionaries of them) to move or cast its
/// tensors and to infer its batch size. Containers are rebuilt only when a tensor inside them changes.
/// </summary>
public static class BatchTransfer
{
    /// <summary>Moves every tensor in <paramref name="batch"/> to <paramref name="device"/>.</summary>
    public static TBatch ToDevice<TBatch>(TBatch batch, Device device)
    {
        // The common batch shapes are checked without boxing or allocating: the per-step hot path.
        if (typeof(TBatch) == typeof((Tensor, Tensor)))
        {
            ref var pair = ref Unsafe.As<TBatch, (Tensor, Tensor)>(ref batch);
            if (IsOn(pair.Item1, device) && IsOn(pair.Item2, device)) return batch;
        }
        else if (typeof(TBatch) == typeof(Tensor))
        {
            if (IsOn(Unsafe.As<TBatch, Tensor>(ref batch), device)) return batch;
        }
        else if (typeof(TBatch) == typeof((Tensor, Tensor, Tensor)))
        {
            ref var triple = ref Unsafe.As<TBatch, (Tensor, Tensor, Tensor)>(ref batch);
            if (IsOn(triple.Item1, device) && IsOn(triple.Item2, device) && IsOn(triple.Item3, device)) return batch;
        }
        return Map(batch, t => IsOn(t, device) ? t : t.to(device));
    }

    private static bool IsOn(Tensor? tensor, Device device)
        => tensor is null || (tensor.device_type == device.type && (tensor.device_index == device.index || device.index == -1 && tensor.device_index == 0));

    /// <summary>Casts every floating-point tensor in <paramref name="batch"/> to <paramref name="dtype"/>.</summary>
    public static TBatch CastFloatingPoint<TBatch>(TBatch batch, ScalarType dtype)
        => Map(batch, t => t.is_floating_point() && t.dtype != dtype ? t.to(dtype) : t);

    /// <summary>The size of the first dimension of the first tensor in the batch, as Lightning infers it; 1 if none.</summary>
    public static int InferBatchSize<TBatch>(TBatch batch)
    {
        if (typeof(TBatch) == typeof((Tensor, Tensor))) return SizeOf(Unsafe.As<TBatch, (Tensor, Tensor)>(ref batch).Item1);
        if (typeof(TBatch) == typeof((Tensor, Tensor, Tensor))) return SizeOf(Unsafe.As<TBatch, (Tensor, Tensor, Tensor)>(ref batch).Item1);
        if (batch is Tensor tensor) return SizeOf(tensor);
        return SizeOf(FirstTensor(batch, depth: 0));
    }

    private static int SizeOf(Tensor? tensor) => tensor is null || tensor.dim() == 0 ? 1 : (int)tensor.size(0);

    /// <summary>Applies <paramref name="convert"/> to every tensor of the batch.</summary>
    public static TBatch Map<TBatch>(TBatch batch, Func<Tensor, Tensor> convert)
        => batch is null ? batch : (TBatch)MapObject(batch, convert, depth: 0);

    private const int MaxDepth = 16;

    private static object MapObject(object value, Func<Tensor, Tensor> convert, int depth)
    {
        if (depth > MaxDepth) return value;
        switch (value)
        {
            case Tensor tensor:
                return convert(tensor);
            case string:
                return value;
            case ITuple tuple:
                return MapTuple(value, tuple, convert, depth);
            case Array array:
                return MapArray(array, convert, depth);
            case IDictionary dictionary:
                return MapDictionary(dictionary, convert, depth);
            case IList list:
                return MapList(list, convert, depth);
            default:
                return MapRecord(value, convert, depth);
        }
    }

    private static object MapTuple(object value, ITuple tuple, Func<Tensor, Tensor> convert, int depth)
    {
        var items = new object?[tuple.Length];
        bool changed = false;
        for (int i = 0; i < items.Length; i++)
        {
            var item = tuple[i];
            items[i] = item is null ? null : MapObject(item, convert, depth + 1);
            changed |= !ReferenceEquals(items[i], item);
        }
        if (!changed) return value;
        var type = value.GetType();
        if (items.Length >= 8)
            throw new NotSupportedException($"Batches of tuples with more than 7 elements are not supported ({type}); use a record or override TransferBatchToDevice.");
        return Activator.CreateInstance(type, items)!;
    }

    private static object MapArray(Array array, Func<Tensor, Tensor> convert, int depth)
    {
        Array? copy = null;
        for (int i = 0; i < array.Length; i++)
        {
            var item = array.GetValue(i);
            if (item is null) continue;
            var mapped = MapObject(item, convert, depth + 1);
            if (ReferenceEquals(mapped, item)) continue;
            copy ??= (Array)array.Clone();
            copy.SetValue(mapped, i);
        }
        return copy ?? array;
    }

    private static object MapList(IList list, Func<Tensor, Tensor> convert, int depth)
    {
        var mapped = new object?[list.Count];
        bool changed = false;
        for (int i = 0; i < mapped.Length; i++)
        {
            var item = list[i];
            mapped[i] = item is null ? null : MapObject(item, convert, depth + 1);
            changed |= !ReferenceEquals(mapped[i], item);
        }
        if (!changed) return list;
        var copy = (IList)Activator.CreateInstance(list.GetType())!;
        foreach (var item in mapped) copy.Add(item);
        return copy;
    }

    private static object MapDictionary(IDictionary dictionary, Func<Tensor, Tensor> convert, int depth)
    {
        var entries = new List<(object Key, object? Value)>(dictionary.Count);
        bool changed = false;
        foreach (DictionaryEntry entry in dictionary)
        {
            var mapped = entry.Value is null ? null : MapObject(entry.Value, convert, depth + 1);
            changed |= !ReferenceEquals(mapped, entry.Value);
            entries.Add((entry.Key, mapped));
        }
        if (!changed) return dictionary;
        var copy = (IDictionary)Activator.CreateInstance(dictionary.GetType())!;
        foreach (var (key, mapped) in entries) copy[key] = mapped;
        return copy;
    }

    // Records and other immutable types: rebuilt through the constructor whose parameters match their properties.
    private static object MapRecord(object value, Func<Tensor, Tensor> convert, int depth)
    {
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum) return value;
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .ToArray();
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        bool changed = false;
        foreach (var property in properties)
        {
            var item = property.GetValue(value);
            var mapped = item is null ? null : MapObject(item, convert, depth + 1);
            changed |= !ReferenceEquals(mapped, item);
            values[property.Name] = mapped;
        }
        if (!changed) return value;

        foreach (var constructor in type.GetConstructors())
        {
            var parameters = constructor.GetParameters();
            if (parameters.Length == 0 || !parameters.All(p => p.Name is not null && values.ContainsKey(p.Name))) continue;
            return constructor.Invoke(parameters.Select(p => values[p.Name!]).ToArray());
        }
        throw new NotSupportedException(
            $"LitGen cannot rebuild a batch of type {type} to move its tensors: it has no constructor whose parameters match its properties. " +
            "Use a tuple or a positional record, or override TransferBatchToDevice.");
    }

    private static Tensor? FirstTensor(object? value, int depth)
    {
        if (value is null || depth > MaxDepth) return null;
        switch (value)
        {
            case Tensor tensor: return tensor;
            case string: return null;
            case ITuple tuple:
                for (int i = 0; i < tuple.Length; i++)
                    if (FirstTensor(tuple[i], depth + 1) is { } t) return t;
                return null;
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                    if (FirstTensor(entry.Value, depth + 1) is { } t) return t;
                return null;
            case IEnumerable enumerable:
                foreach (var item in enumerable)
                    if (FirstTensor(item, depth + 1) is { } t) return t;
                return null;
            default:
                var type = value.GetType();
                if (type.IsPrimitive || type.IsEnum) return null;
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                    if (property.GetIndexParameters().Length == 0 && property.Name != "EqualityContract"
                        && FirstTensor(property.GetValue(value), depth + 1) is { } t) return t;
                return null;
        }
    }
}
