using System.Reflection;

namespace Microsoft.ML.DatasetDistillation.Tests;

/// <summary>Facts about the Microsoft.ML package under test that the layer's design rests on.</summary>
[TestClass]
public sealed class MLNetPackageTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void LoadedPackage_IsTheVersionTheBuildRestored()
    {
        string expected = typeof(MLNetPackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "MicrosoftMLVersion").Value!;
        string loaded = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        TestContext.WriteLine($"Microsoft.ML {loaded}");
        StringAssert.StartsWith(loaded, expected + "+");
    }

    /// <summary>
    /// Why the layer's transformers refuse <c>mlContext.Model.Save</c> and offer SaveTo/Load instead: ML.NET gives an outside
    /// component nothing to write its state with. Should a later ML.NET open ModelSaveContext, this fails, and the layer
    /// should then save into model files.
    /// </summary>
    [TestMethod]
    public void ModelSaveContext_OffersOutsideComponentsNoWayToWrite()
    {
        string[] members = typeof(ModelSaveContext).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Select(m => m.Name).ToArray();
        CollectionAssert.AreEqual(new[] { "Dispose" }, members);
    }
}
