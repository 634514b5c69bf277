using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// Builds the ONNX graph of a module's <c>Forward</c> for <see cref="LightningModule.ToOnnx"/>. LitGen's generator reads
/// <c>Forward</c> and writes the same calls against this class (see the module's generated <c>BuildOnnxGraph</c>); each
/// call adds ONNX nodes and computes the same step with TorchSharp on the input sample, so every value has a shape.
/// Opset 17; layers are translated from their TorchSharp settings, their weights become initializers named as in the
/// state dict (<c>features.0.weight</c>).
/// </summary>
public sealed class OnnxGraph
{
    /// <summary>The ONNX operator set the graph uses.</summary>
    public const int Opset = 17;

    private const string BatchDimension = "batch";

    private readonly GraphProto graph = new();
    private readonly IReadOnlyList<Tensor> inputSamples;
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OnnxValue> weights = new(StringComparer.Ordinal);
    // Each layer's name in the state dict, by instance: a layer reached through a local (a ModuleList's loop variable)
    // still names its weights as the checkpoint does.
    private readonly Dictionary<nn.Module, string> paths = new(ReferenceEqualityComparer.Instance);

    internal OnnxGraph(nn.Module module, IReadOnlyList<Tensor> inputSamples)
    {
        graph.Name = module.GetType().Name;
        this.inputSamples = inputSamples;
        foreach (var (name, layer) in module.named_modules()) paths.TryAdd(layer, name);
    }

    /// <summary>The next input of <c>Forward</c>, named as its parameter; its first dimension is the (dynamic) batch.</summary>
    public OnnxValue Input(string name)
    {
        int index = graph.Input.Count;
        if (index >= inputSamples.Count)
            throw new MisconfigurationException($"{graph.Name}'s Forward takes more tensors than the input sample has ({inputSamples.Count}); pass one tensor per parameter of Forward.");
        var sample = inputSamples[index];
        graph.Input.Add(ValueInfo(Unique(name), sample, batchFirst: sample.dim() > 0));
        return new OnnxValue(graph.Input[index].Name, sample);
    }

    /// <summary>
    /// A call of a TorchSharp layer (a <c>Sequential</c> runs its children in order). <paramref name="path"/> is how
    /// <c>Forward</c> names it, used where the layer is not registered in the module (its state-dict name is used where
    /// it is); <paramref name="location"/> is where <c>Forward</c> calls it, for the refusal of a layer LitGen cannot translate.
    /// </summary>
    public OnnxValue Layer(nn.Module? layer, string path, string location, OnnxValue input)
    {
        if (layer is not null && paths.TryGetValue(layer, out var registered) && registered.Length > 0) path = registered;
        if (layer is null)
            throw new MisconfigurationException(
                $"{path}, called at {location}, is null: ToOnnx exports the layers the module has, so build them in the constructor, " +
                "or export after ConfigureModel built them (after Fit, or on a module from LoadFromCheckpoint).");
        try
        {
            return Translate(layer, path, location, input);
        }
        // libtorch's errors and TorchSharp's own shape checks; a Sequential's children say which of them failed.
        catch (Exception error) when (error is ExternalException or ArgumentException && layer is not Sequential)
        {
            throw new ArgumentException(
                $"ToOnnx's input sample does not fit {path} ({layer.GetType().Name}), called at {location}: its input there is " +
                $"[{string.Join(", ", input.Sample.shape)}] {input.Sample.dtype}. Pass a sample shaped as Forward's input ({error.Message.Split('\n')[0]})",
                "inputSample", error);
        }
    }

    private OnnxValue Translate(nn.Module layer, string path, string location, OnnxValue input)
    {
        return layer switch
        {
            Sequential sequential => sequential.named_children().Aggregate(input, (value, child) => Layer(child.module, $"{path}.{child.name}", location, value)),
            Linear linear => Linear(linear, path, input),
            Convolution { transposed: false } convolution when layer is Conv1d or Conv2d => Convolution(convolution, path, location, input),
            MaxPool1d pool => Pool("MaxPool", path, pool, input, [pool.kernel_size], [pool.stride ?? pool.kernel_size], [pool.padding ?? 0], [pool.dilation ?? 1], pool.ceil_mode),
            MaxPool2d pool => Pool("MaxPool", path, pool, input, pool.kernel_size, pool.stride ?? pool.kernel_size, pool.padding ?? [0, 0], pool.dilation ?? [1, 1], pool.ceil_mode),
            AvgPool1d pool => AveragePool(path, pool, input, [pool.kernel_size], [pool.stride ?? pool.kernel_size], [pool.padding ?? 0], pool.ceil_mode, pool.count_include_pad),
            AvgPool2d { divisor_override: null } pool => AveragePool(path, pool, input, pool.kernel_size, pool.stride ?? pool.kernel_size, pool.padding ?? [0, 0], pool.ceil_mode, pool.count_include_pad),
            AdaptiveAvgPool2d pool when pool.output_size.All(size => size == 1) => Node("GlobalAveragePool", path, Run(pool, input), [input.Name]),
            BatchNorm1d or BatchNorm2d when layer is BatchNorm { track_running_stats: true } norm => BatchNorm(norm, path, input),
            Dropout or Dropout1d or Dropout2d or Identity => input,
            Embedding embedding => Node("Gather", path, Run(embedding, input), [Initializer($"{path}.weight", embedding.weight!), input.Name], Attribute("axis", 0)),
            LayerNorm norm => LayerNorm(norm, path, input),
            ReLU => Node("Relu", path, Run(layer, input), [input.Name]),
            GELU gelu => Gelu(input, gelu.approximate, path),
            TorchSharp.Modules.Tanh => Node("Tanh", path, Run(layer, input), [input.Name]),
            TorchSharp.Modules.Sigmoid => Node("Sigmoid", path, Run(layer, input), [input.Name]),
            LeakyReLU leaky => LeakyRelu(input, leaky.negative_slope, path),
            Softmax softmax => Node("Softmax", path, Run(layer, input), [input.Name], Attribute("axis", softmax.dim)),
            LogSoftmax logSoftmax => Node("LogSoftmax", path, Run(layer, input), [input.Name], Attribute("axis", logSoftmax.dim)),
            TorchSharp.Modules.Flatten flatten => Flatten(input, flatten.start_dim, flatten.end_dim, path),
            Unflatten unflatten => Unflatten(unflatten, path, input),
            TorchSharp.Modules.BatchNorm => throw Refusal(layer, path, location,
                "it keeps no running statistics, so it normalizes every input by its own batch; ONNX's BatchNormalization takes running statistics (build it with track_running_stats: true)"),
            AvgPool2d => throw Refusal(layer, path, location, "ONNX's AveragePool has no divisor_override"),
            AdaptiveAvgPool2d => throw Refusal(layer, path, location, "only an output size of 1×1 (global average pooling) is translated"),
            _ => throw Refusal(layer, path, location),
        };
    }

    /// <summary>A parameter or buffer of the module that <c>Forward</c> uses directly, as an initializer (once per name).</summary>
    public OnnxValue Weight(Tensor value, string name)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!weights.TryGetValue(name, out var weight))
            weights[name] = weight = new OnnxValue(Initializer(name, value), value.detach());
        return weight;
    }

    /// <summary><c>relu</c>.</summary>
    public OnnxValue Relu(OnnxValue x) => Node("Relu", "Relu", nn.functional.relu(x.Sample), [x.Name]);

    /// <summary><c>tanh</c>.</summary>
    public OnnxValue Tanh(OnnxValue x) => Node("Tanh", "Tanh", x.Sample.tanh(), [x.Name]);

    /// <summary><c>sigmoid</c>.</summary>
    public OnnxValue Sigmoid(OnnxValue x) => Node("Sigmoid", "Sigmoid", x.Sample.sigmoid(), [x.Name]);

    /// <summary><c>gelu</c>, exact (opset 17 has no Gelu: <c>x·½(1 + erf(x/√2))</c>) or with the tanh approximation.</summary>
    public OnnxValue Gelu(OnnxValue x, GELU.Approximate approximate) => Gelu(x, approximate, "Gelu");

    /// <summary><c>leaky_relu</c>.</summary>
    public OnnxValue LeakyRelu(OnnxValue x, double negativeSlope) => LeakyRelu(x, negativeSlope, "LeakyRelu");

    /// <summary><c>softmax</c> along <paramref name="dim"/>.</summary>
    public OnnxValue Softmax(OnnxValue x, long dim) => Node("Softmax", "Softmax", x.Sample.softmax(dim), [x.Name], Attribute("axis", dim));

    /// <summary><c>log_softmax</c> along <paramref name="dim"/>.</summary>
    public OnnxValue LogSoftmax(OnnxValue x, long dim) => Node("LogSoftmax", "LogSoftmax", x.Sample.log_softmax(dim), [x.Name], Attribute("axis", dim));

    /// <summary><c>flatten(startDim, endDim)</c>.</summary>
    public OnnxValue Flatten(OnnxValue x, long startDim, long endDim) => Flatten(x, startDim, endDim, "Flatten");

    /// <summary>
    /// <c>view</c> / <c>reshape</c>. As in ONNX, a 0 copies the input's dimension at that position (the generator writes
    /// <c>x.shape[0]</c> in first position as 0, which keeps the batch dynamic); -1 is inferred.
    /// </summary>
    public OnnxValue Reshape(OnnxValue x, params long[] shape)
    {
        var resolved = shape.Select((size, i) => size == 0 ? x.Sample.shape[i] : size).ToArray();
        return Node("Reshape", "Reshape", x.Sample.reshape(resolved), [x.Name, Initializer("shape", tensor(shape))]);
    }

    /// <summary><c>a + b</c>, broadcasting.</summary>
    public OnnxValue Add(OnnxValue a, OnnxValue b) => Node("Add", "Add", a.Sample + b.Sample, [a.Name, b.Name]);

    /// <summary><c>a + b</c> with a number.</summary>
    public OnnxValue Add(OnnxValue a, double b) => Add(a, Scalar(b, a));

    /// <summary><c>a + b</c> with a number.</summary>
    public OnnxValue Add(double a, OnnxValue b) => Add(Scalar(a, b), b);

    /// <summary><c>a - b</c>, broadcasting.</summary>
    public OnnxValue Subtract(OnnxValue a, OnnxValue b) => Node("Sub", "Sub", a.Sample - b.Sample, [a.Name, b.Name]);

    /// <summary><c>a - b</c> with a number.</summary>
    public OnnxValue Subtract(OnnxValue a, double b) => Subtract(a, Scalar(b, a));

    /// <summary><c>a - b</c> with a number.</summary>
    public OnnxValue Subtract(double a, OnnxValue b) => Subtract(Scalar(a, b), b);

    /// <summary><c>a * b</c>, broadcasting.</summary>
    public OnnxValue Multiply(OnnxValue a, OnnxValue b) => Node("Mul", "Mul", a.Sample * b.Sample, [a.Name, b.Name]);

    /// <summary><c>a * b</c> with a number.</summary>
    public OnnxValue Multiply(OnnxValue a, double b) => Multiply(a, Scalar(b, a));

    /// <summary><c>a * b</c> with a number.</summary>
    public OnnxValue Multiply(double a, OnnxValue b) => Multiply(Scalar(a, b), b);

    /// <summary><c>a / b</c>, broadcasting.</summary>
    public OnnxValue Divide(OnnxValue a, OnnxValue b) => Node("Div", "Div", a.Sample / b.Sample, [a.Name, b.Name]);

    /// <summary><c>a / b</c> with a number.</summary>
    public OnnxValue Divide(OnnxValue a, double b) => Divide(a, Scalar(b, a));

    /// <summary><c>a / b</c> with a number.</summary>
    public OnnxValue Divide(double a, OnnxValue b) => Divide(Scalar(a, b), b);

    /// <summary>A number used with <paramref name="like"/>: a constant of its element type, as TorchSharp's scalar operands are.</summary>
    private OnnxValue Scalar(double value, OnnxValue like)
    {
        var constant = tensor(value, like.Sample.dtype);
        return new OnnxValue(Initializer("scalar", constant), constant);
    }

    /// <summary><c>matmul</c>.</summary>
    public OnnxValue MatMul(OnnxValue a, OnnxValue b) => Node("MatMul", "MatMul", SafeMatMul(a.Sample, b.Sample), [a.Name, b.Name]);

    /// <summary><c>cat</c> along <paramref name="dim"/>.</summary>
    public OnnxValue Concat(long dim, params OnnxValue[] values) => Node(
        "Concat", "Concat", cat(values.Select(v => v.Sample).ToArray(), dim), values.Select(v => v.Name).ToArray(), Attribute("axis", dim));

    /// <summary>The model: the graph with <paramref name="output"/> as its one output, named <c>output</c>.</summary>
    internal ModelProto Finish(OnnxValue output)
    {
        if (graph.Input.Count != inputSamples.Count)
            throw new MisconfigurationException(
                $"{graph.Name}'s Forward takes {graph.Input.Count} tensor(s) but the input sample has {inputSamples.Count}; pass one tensor per parameter of Forward.");
        var batch = inputSamples.Count > 0 && inputSamples[0].dim() > 0 ? inputSamples[0].shape[0] : -1;
        var named = Node("Identity", "output", output.Sample, [output.Name]);
        graph.Output.Add(ValueInfo(named.Name, named.Sample, batchFirst: named.Sample.dim() > 0 && named.Sample.shape[0] == batch));
        return new ModelProto
        {
            IrVersion = 8,
            ProducerName = "LitGen",
            ProducerVersion = typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "",
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
            Graph = graph,
        };
    }

    private OnnxValue Linear(Linear linear, string path, OnnxValue x)
    {
        var result = Run(linear, x);
        var weight = Initializer($"{path}.weight.T", linear.weight!.detach().t());
        if (linear.bias is null) return Node("MatMul", path, result, [x.Name, weight]);
        var product = Node("MatMul", path + ".MatMul", SafeMatMul(x.Sample, linear.weight!.t()), [x.Name, weight]);
        return Node("Add", path, result, [product.Name, Initializer($"{path}.bias", linear.bias)]);
    }

    private OnnxValue Convolution(Convolution convolution, string path, string location, OnnxValue x)
    {
        if (convolution.padding_mode != PaddingModes.Zeros)
            throw Refusal(convolution, path, location, $"its padding mode is {convolution.padding_mode}; ONNX's Conv pads with zeros only");
        int spatial = convolution.kernel_size.Length;
        long[] begin, end;
        if (convolution.padding_type == Padding.Same)
        {
            var total = convolution.kernel_size.Select((k, i) => convolution.dilation[i] * (k - 1)).ToArray();
            begin = total.Select(t => t / 2).ToArray();
            end = total.Select((t, i) => t - begin[i]).ToArray();
        }
        else
        {
            begin = end = convolution.padding_type == Padding.Valid ? new long[spatial] : convolution.padding ?? new long[spatial];
        }
        var inputs = new List<string> { x.Name, Initializer($"{path}.weight", convolution.weight!) };
        if (convolution.bias is { } bias) inputs.Add(Initializer($"{path}.bias", bias));
        return Node("Conv", path, Run(convolution, x), inputs,
            Attribute("kernel_shape", convolution.kernel_size), Attribute("strides", convolution.stride),
            Attribute("pads", [.. begin, .. end]), Attribute("dilations", convolution.dilation), Attribute("group", convolution.groups));
    }

    private OnnxValue Pool(string op, string path, nn.Module pool, OnnxValue x, long[] kernel, long[] stride, long[] padding, long[] dilation, bool ceilMode) => Node(
        op, path, Run(pool, x), [x.Name],
        Attribute("kernel_shape", kernel), Attribute("strides", stride), Attribute("pads", [.. padding, .. padding]),
        Attribute("dilations", dilation), Attribute("ceil_mode", ceilMode ? 1 : 0));

    private OnnxValue AveragePool(string path, nn.Module pool, OnnxValue x, long[] kernel, long[] stride, long[] padding, bool ceilMode, bool countIncludePad) => Node(
        "AveragePool", path, Run(pool, x), [x.Name],
        Attribute("kernel_shape", kernel), Attribute("strides", stride), Attribute("pads", [.. padding, .. padding]),
        Attribute("ceil_mode", ceilMode ? 1 : 0), Attribute("count_include_pad", countIncludePad ? 1 : 0));

    private OnnxValue BatchNorm(BatchNorm norm, string path, OnnxValue x)
    {
        var features = norm.num_features;
        return Node("BatchNormalization", path, Run(norm, x),
            [
                x.Name,
                Initializer($"{path}.weight", norm.weight ?? ones(features)),
                Initializer($"{path}.bias", norm.bias ?? zeros(features)),
                Initializer($"{path}.running_mean", norm.running_mean!),
                Initializer($"{path}.running_var", norm.running_var!),
            ],
            Attribute("epsilon", (float)norm.eps));
    }

    private OnnxValue LayerNorm(LayerNorm norm, string path, OnnxValue x)
    {
        var shape = norm.normalized_shape;
        return Node("LayerNormalization", path, Run(norm, x),
            [
                x.Name,
                Initializer($"{path}.weight", norm.weight ?? ones(shape)),
                Initializer($"{path}.bias", norm.bias ?? zeros(shape)),
            ],
            Attribute("axis", -shape.Length), Attribute("epsilon", (float)norm.eps));
    }

    private OnnxValue Gelu(OnnxValue x, GELU.Approximate approximate, string scope)
    {
        var result = nn.functional.gelu(x.Sample, approximate);
        if (approximate == GELU.Approximate.tanh)
        {
            // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
            var cube = Multiply(Multiply(x, x), x);
            var inner = Add(x, Multiply(cube, 0.044715));
            var tanh = Tanh(Multiply(inner, Math.Sqrt(2 / Math.PI)));
            Multiply(Multiply(x, Add(tanh, 1)), 0.5);
            return NameLastNode(scope, result);
        }
        var scaled = Divide(x, Math.Sqrt(2));
        var erf = Node("Erf", scope + ".erf", special.erf(scaled.Sample), [scaled.Name]);
        Multiply(Multiply(x, Add(erf, 1)), 0.5);
        return NameLastNode(scope, result);
    }

    private OnnxValue LeakyRelu(OnnxValue x, double negativeSlope, string scope)
        => Node("LeakyRelu", scope, nn.functional.leaky_relu(x.Sample, negativeSlope), [x.Name], Attribute("alpha", (float)negativeSlope));

    private OnnxValue Flatten(OnnxValue x, long startDim, long endDim, string scope)
    {
        var shape = x.Sample.shape;
        int rank = shape.Length;
        long start = startDim < 0 ? startDim + rank : startDim, end = endDim < 0 ? endDim + rank : endDim;
        // Dimensions before the flattened run are copied (0), which keeps a leading batch dynamic; the run is inferred.
        long[] target = [.. Enumerable.Repeat(0L, (int)start), -1, .. shape.Skip((int)end + 1)];
        return Node("Reshape", scope, x.Sample.flatten(startDim, endDim), [x.Name, Initializer("shape", tensor(target))]);
    }

    private OnnxValue Unflatten(Unflatten unflatten, string path, OnnxValue x)
    {
        var shape = x.Sample.shape;
        int dim = (int)(unflatten.dim < 0 ? unflatten.dim + shape.Length : unflatten.dim);
        long[] target = [.. Enumerable.Repeat(0L, dim), .. unflatten.unflattened_size, .. shape.Skip(dim + 1)];
        return Node("Reshape", path, Run(unflatten, x), [x.Name, Initializer("shape", tensor(target))]);
    }

    /// <summary>
    /// <c>matmul</c> after checking the shapes: TorchSharp 0.107's <c>matmul</c> does not catch libtorch's error, so
    /// mismatched shapes would end the process instead of throwing.
    /// </summary>
    private static Tensor SafeMatMul(Tensor a, Tensor b)
    {
        long inner = a.shape[^1], other = b.dim() == 1 ? b.shape[0] : b.shape[^2];
        if (inner != other)
            throw new ArgumentException(
                $"ToOnnx's input sample does not fit a matmul of [{string.Join(", ", a.shape)}] and [{string.Join(", ", b.shape)}] ({inner} ≠ {other}); pass a sample shaped as Forward's input.");
        return a.matmul(b);
    }

    private static Tensor Run(nn.Module layer, OnnxValue x) => ((nn.Module<Tensor, Tensor>)layer).call(x.Sample);

    private static NotSupportedException Refusal(nn.Module layer, string path, string location, string? reason = null)
    {
        var type = layer.GetType();
        var why = reason ?? (type.Namespace == "TorchSharp.Modules"
            ? "LitGen does not translate this TorchSharp layer"
            : "it is a module of your own, whose forward LitGen cannot read (it reads the [LightningModule]'s Forward only): write its computation in Forward");
        return new NotSupportedException(
            $"{path} ({type.Name}), called at {location}, cannot be exported to ONNX: {why}. LitGen exports these layers: {OnnxLayers.Names}.");
    }

    private OnnxValue Node(string op, string scope, Tensor result, IReadOnlyList<string> inputs, params AttributeProto[] attributes)
    {
        var name = Unique(scope);
        var node = new NodeProto { OpType = op, Name = name, Output = { name } };
        node.Input.AddRange(inputs);
        node.Attribute.AddRange(attributes);
        graph.Node.Add(node);
        return new OnnxValue(name, result);
    }

    /// <summary>
    /// Names the output of the last node of a layer built from several nodes after the layer, and gives it the layer's
    /// own TorchSharp result.
    /// </summary>
    private OnnxValue NameLastNode(string scope, Tensor result)
    {
        var node = graph.Node[^1];
        names.Remove(node.Output[0]);
        node.Name = node.Output[0] = Unique(scope);
        return new OnnxValue(node.Output[0], result);
    }

    private string Initializer(string name, Tensor value)
    {
        using var cpu = value.detach().cpu().contiguous();
        var proto = new TensorProto { Name = Unique(name), DataType = (int)ElementType(cpu.dtype), RawData = ByteString.CopyFrom(cpu.bytes) };
        proto.Dims.AddRange(cpu.shape);
        graph.Initializer.Add(proto);
        return proto.Name;
    }

    private string Unique(string name)
    {
        var unique = name;
        for (int i = 1; !names.Add(unique); i++) unique = $"{name}_{i}";
        return unique;
    }

    private static ValueInfoProto ValueInfo(string name, Tensor sample, bool batchFirst)
    {
        var shape = new TensorShapeProto();
        for (int i = 0; i < sample.dim(); i++)
            shape.Dim.Add(i == 0 && batchFirst ? new TensorShapeProto.Types.Dimension { DimParam = BatchDimension } : new TensorShapeProto.Types.Dimension { DimValue = sample.shape[i] });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)ElementType(sample.dtype), Shape = shape } },
        };
    }

    private static TensorProto.Types.DataType ElementType(ScalarType type) => type switch
    {
        ScalarType.Float32 => TensorProto.Types.DataType.Float,
        ScalarType.Float64 => TensorProto.Types.DataType.Double,
        ScalarType.Float16 => TensorProto.Types.DataType.Float16,
        ScalarType.BFloat16 => TensorProto.Types.DataType.Bfloat16,
        ScalarType.Int64 => TensorProto.Types.DataType.Int64,
        ScalarType.Int32 => TensorProto.Types.DataType.Int32,
        ScalarType.Int16 => TensorProto.Types.DataType.Int16,
        ScalarType.Int8 => TensorProto.Types.DataType.Int8,
        ScalarType.Byte => TensorProto.Types.DataType.Uint8,
        ScalarType.Bool => TensorProto.Types.DataType.Bool,
        _ => throw new NotSupportedException($"ONNX export has no element type for {type}."),
    };

    private static AttributeProto Attribute(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Attribute(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    private static AttributeProto Attribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
