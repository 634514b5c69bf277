using System.Linq;
using Microsoft.CodeAnalysis;

namespace LitGen.Shared;

/// <summary>
/// The LitGen and TorchSharp symbols the generators and the analyzers resolve, looked up once per compilation, and the
/// one "is or derives from" test both use (by symbol, never by comparing names as text). Linked into both assemblies.
/// </summary>
public sealed class KnownSymbols
{
    private KnownSymbols(Compilation compilation, INamedTypeSymbol lightningModule)
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
        LightningModuleAttribute = compilation.GetTypeByMetadataName(LightningModuleAttributeName);
        LightningDataModuleOfT = compilation.GetTypeByMetadataName("LitGen.LightningDataModule`1");
        LightningDataModuleAttribute = compilation.GetTypeByMetadataName(LightningDataModuleAttributeName);
        HyperparameterAttribute = compilation.GetTypeByMetadataName("LitGen.HyperparameterAttribute");
        TorchParameter = compilation.GetTypeByMetadataName("TorchSharp.Modules.Parameter");
    }

    /// <summary>The metadata name the module generator finds its classes by.</summary>
    public const string LightningModuleAttributeName = "LitGen.LightningModuleAttribute";

    /// <summary>The metadata name the datamodule generator finds its classes by.</summary>
    public const string LightningDataModuleAttributeName = "LitGen.LightningDataModuleAttribute";

    /// <summary><c>LitGen.LightningModule</c>, the base of every module.</summary>
    public INamedTypeSymbol LightningModule { get; }
#pragma warning disable CS1591 // each is the type of the same name
    public INamedTypeSymbol? LightningModuleOfT { get; }
    public INamedTypeSymbol? LightningModuleAttribute { get; }
    public INamedTypeSymbol? LightningDataModuleOfT { get; }
    public INamedTypeSymbol? LightningDataModuleAttribute { get; }
    public INamedTypeSymbol? HyperparameterAttribute { get; }
    public INamedTypeSymbol? TorchParameter { get; }
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
    public static KnownSymbols? From(Compilation compilation)
        => compilation.GetTypeByMetadataName("LitGen.LightningModule") is { } module ? new KnownSymbols(compilation, module) : null;

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

    /// <summary>
    /// The type a TorchSharp method is called on: an extension method's first parameter, else <paramref name="instance"/>'s
    /// type, else (a static method) its declaring type; null when <paramref name="method"/> is not TorchSharp's.
    /// </summary>
    public ITypeSymbol? TorchReceiver(IMethodSymbol method, ITypeSymbol? instance)
        => !SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, Torch?.ContainingAssembly) ? null
            : method.IsExtensionMethod ? method.Parameters.FirstOrDefault()?.Type
            : instance ?? method.ContainingType;

    /// <summary>Whether <paramref name="symbol"/> carries the attribute <paramref name="attribute"/>.</summary>
    public static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attribute)
        => attribute is not null && symbol.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));
}
