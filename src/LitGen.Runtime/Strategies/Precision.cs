using System;
using TorchSharp;
using static TorchSharp.torch;

namespace LitGen;

/// <summary>
/// The numeric precision the trainer runs a module in (Lightning's <c>precision</c> plugin): a typed value with named
/// members that also converts from Lightning's strings (<c>Precision = "bf16-true"</c>). "True" precisions put the
/// whole module and every floating-point input in one dtype; <c>"bf16-mixed"</c> and <c>"16-mixed"</c> keep them in float32
/// and run the steps under libtorch's autocast in bfloat16 or float16 (backward and the optimizer outside it);
/// <c>"16-mixed"</c> also scales the loss with a <see cref="LitGen.GradScaler"/>.
/// </summary>
public sealed class Precision : IEquatable<Precision>
{
    private Precision(string name, ScalarType dtype, ScalarType? autocastDtype = null, GradScalerOptions? gradScaler = null)
    {
        Name = name;
        Dtype = dtype;
        AutocastDtype = autocastDtype;
        GradScaler = gradScaler;
    }

    /// <summary><c>"32-true"</c>: float32 weights and inputs (the default).</summary>
    public static Precision Float32 { get; } = new("32-true", ScalarType.Float32);

    /// <summary><c>"64-true"</c>: float64 weights and inputs.</summary>
    public static Precision Float64 { get; } = new("64-true", ScalarType.Float64);

    /// <summary><c>"bf16-true"</c>: bfloat16 weights and inputs.</summary>
    public static Precision BFloat16 { get; } = new("bf16-true", ScalarType.BFloat16);

    /// <summary><c>"16-true"</c>: float16 weights and inputs (slow on CPUs).</summary>
    public static Precision Float16 { get; } = new("16-true", ScalarType.Float16);

    /// <summary>
    /// <c>"bf16-mixed"</c>: float32 weights, inputs and gradients; training, validation, test and prediction steps run
    /// under libtorch's autocast, so matmuls and convolutions compute in bfloat16 and precision-sensitive ops in float32.
    /// </summary>
    public static Precision Bf16Mixed { get; } = new("bf16-mixed", ScalarType.Float32, ScalarType.BFloat16);

    /// <summary>
    /// <c>"16-mixed"</c>: float32 weights, inputs and gradients; the steps run under libtorch's autocast in float16 and the
    /// loss is scaled by a <see cref="LitGen.GradScaler"/> with PyTorch's default settings. For CUDA: on the CPU, as in
    /// Lightning, the trainer warns and trains in <c>"bf16-mixed"</c> instead.
    /// </summary>
    public static Precision Fp16Mixed { get; } = new("16-mixed", ScalarType.Float32, ScalarType.Float16, new GradScalerOptions());

    /// <summary><c>"16-mixed"</c> with a gradient scaler of the given settings (Lightning's <c>MixedPrecision("16-mixed", scaler=GradScaler(...))</c>).</summary>
    public static Precision Fp16MixedWith(GradScalerOptions gradScaler)
    {
        ArgumentNullException.ThrowIfNull(gradScaler);
        return new("16-mixed", ScalarType.Float32, ScalarType.Float16, gradScaler.Validated());
    }

    /// <summary>Lightning's name of the precision.</summary>
    public string Name { get; }

    /// <summary>The dtype of the module's floating-point parameters and inputs.</summary>
    public ScalarType Dtype { get; }

    /// <summary>The dtype the steps compute in under autocast, for a mixed precision; null otherwise.</summary>
    public ScalarType? AutocastDtype { get; }

    /// <summary>The settings of the gradient scaler this precision trains with (<c>"16-mixed"</c>); null for the others.</summary>
    public GradScalerOptions? GradScaler { get; }

    /// <summary>Parses Lightning's precision strings; refuses the ones LitGen cannot honour, saying which to use.</summary>
    public static Precision Parse(string name) => name switch
    {
        "32-true" or "32" => Float32,
        "64-true" or "64" => Float64,
        "bf16-true" => BFloat16,
        "16-true" => Float16,
        "bf16-mixed" or "bf16" => Bf16Mixed,
        "16-mixed" or "16" => Fp16Mixed,
        _ => throw new MisconfigurationException(
            $"Unknown precision \"{name}\". Use one of \"32-true\", \"64-true\", \"bf16-true\", \"16-true\", \"bf16-mixed\", \"16-mixed\" " +
            "(Precision.Float32, .Float64, .BFloat16, .Float16, .Bf16Mixed, .Fp16Mixed)."),
    };

    /// <summary>Lightning's string form, e.g. <c>"bf16-true"</c>.</summary>
    public static implicit operator Precision(string name) => Parse(name);

    /// <summary>
    /// The precision a run on <paramref name="device"/> trains in: <c>"16-mixed"</c> on the CPU becomes <c>"bf16-mixed"</c>, as
    /// Lightning does (the trainer warns), unless <paramref name="float16OnCpu"/>.
    /// </summary>
    internal Precision On(Device device, bool float16OnCpu) => GradScaler is not null && device.type == DeviceType.CPU && !float16OnCpu ? Bf16Mixed : this;

    /// <summary>The scope a step runs in: libtorch's autocast on <paramref name="device"/> for a mixed precision, else null (nothing to open).</summary>
    internal IDisposable? StepScope(Device device) => AutocastDtype is ScalarType dtype ? new AutocastScope(device.type, dtype) : null;

    /// <summary>Casts the module's floating-point parameters and buffers to <see cref="Dtype"/>.</summary>
    internal void ConvertModule(nn.Module module)
    {
        if (Dtype != ScalarType.Float32) module.to(Dtype);
    }

    /// <summary>Casts the floating-point tensors of a batch to <see cref="Dtype"/>.</summary>
    internal TBatch ConvertInput<TBatch>(TBatch batch) => Dtype == ScalarType.Float32 ? batch : BatchTransfer.CastFloatingPoint(batch, Dtype);

    /// <inheritdoc />
    public bool Equals(Precision? other) => other is not null && other.Name == Name && Equals(other.GradScaler, GradScaler);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Precision);

    /// <inheritdoc />
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Equality by name (and gradient scaler settings).</summary>
    public static bool operator ==(Precision? left, Precision? right) => Equals(left, right);

    /// <summary>Inequality by name (and gradient scaler settings).</summary>
    public static bool operator !=(Precision? left, Precision? right) => !Equals(left, right);
}
