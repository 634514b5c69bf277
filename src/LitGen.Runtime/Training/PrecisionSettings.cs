using static TorchSharp.torch;

namespace LitGen;

/// <summary>Lightning's precision strings, resolved to the dtype parameters and inputs use.</summary>
internal static class PrecisionSettings
{
    public const string Default = "32-true";

    /// <summary>The floating-point dtype for a precision string; throws for values LitGen cannot honour.</summary>
    public static ScalarType Resolve(string precision) => precision switch
    {
        "32-true" or "32" => ScalarType.Float32,
        "64-true" or "64" => ScalarType.Float64,
        "bf16-true" => ScalarType.BFloat16,
        "16-true" => ScalarType.Float16,
        "bf16-mixed" or "16-mixed" or "16" or "bf16" => throw new MisconfigurationException(
            $"Precision \"{precision}\" needs autocast and a gradient scaler, which TorchSharp 0.107 does not provide. " +
            "Use \"bf16-true\" (bfloat16 weights and inputs) or \"32-true\" instead."),
        _ => throw new MisconfigurationException(
            $"Unknown precision \"{precision}\". Use one of \"32-true\", \"64-true\", \"bf16-true\", \"16-true\"."),
    };
}
