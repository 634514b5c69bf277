using Microsoft.CodeAnalysis;

namespace LitGen.Analyzers;

/// <summary>The LitGen and TorchSharp symbols the rules resolve, looked up once per compilation.</summary>
public sealed class LitGenSymbols
{
    private LitGenSymbols(Compilation compilation, INamedTypeSymbol lightningModule)
    {
        LightningModule = lightningModule;
        Tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
        Optimizer = compilation.GetTypeByMetadataName("TorchSharp.torch+optim+Optimizer");
        TorchModule = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module");
        DeviceType = compilation.GetTypeByMetadataName("TorchSharp.DeviceType");
        Torch = compilation.GetTypeByMetadataName("TorchSharp.torch");
        ModelCheckpoint = compilation.GetTypeByMetadataName("LitGen.ModelCheckpoint");
        EarlyStopping = compilation.GetTypeByMetadataName("LitGen.EarlyStopping");
        LrSchedulerConfig = compilation.GetTypeByMetadataName("LitGen.LrSchedulerConfig");
        LightningModuleOfT = compilation.GetTypeByMetadataName("LitGen.LightningModule`1");
        LightningModuleAttribute = compilation.GetTypeByMetadataName("LitGen.LightningModuleAttribute");
    }

    /// <summary><c>LitGen.LightningModule</c>, the base of every module.</summary>
    public INamedTypeSymbol LightningModule { get; }
#pragma warning disable CS1591 // each is the type of the same name
    public INamedTypeSymbol? LightningModuleOfT { get; }
    public INamedTypeSymbol? LightningModuleAttribute { get; }
    public INamedTypeSymbol? Tensor { get; }
    public INamedTypeSymbol? Optimizer { get; }
    public INamedTypeSymbol? TorchModule { get; }
    public INamedTypeSymbol? DeviceType { get; }
    public INamedTypeSymbol? Torch { get; }
    public INamedTypeSymbol? ModelCheckpoint { get; }
    public INamedTypeSymbol? EarlyStopping { get; }
    public INamedTypeSymbol? LrSchedulerConfig { get; }
#pragma warning restore CS1591

    /// <summary>The symbols, or null when the compilation does not reference LitGen (every rule is then off).</summary>
    public static LitGenSymbols? From(Compilation compilation)
        => compilation.GetTypeByMetadataName("LitGen.LightningModule") is { } module ? new LitGenSymbols(compilation, module) : null;

    /// <summary>Whether <paramref name="type"/> is a LitGen module class (derives from LightningModule).</summary>
    public bool IsModule(INamedTypeSymbol? type)
    {
        for (var current = type?.BaseType; current is not null; current = current.BaseType)
            if (SymbolEqualityComparer.Default.Equals(current, LightningModule)) return true;
        return false;
    }

    /// <summary>Whether <paramref name="type"/> is <paramref name="baseType"/> or derives from it.</summary>
    public static bool IsOrDerives(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (baseType is null) return false;
        for (var current = type; current is not null; current = current.BaseType)
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType)) return true;
        return false;
    }
}
