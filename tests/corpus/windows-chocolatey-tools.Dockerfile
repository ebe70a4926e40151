# escape=`
# syntax=docker/dockerfile:1
FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS tools
SHELL ["cmd", "/S", "/C"]
RUN powershell -NoProfile -ExecutionPolicy Bypass -Command `
    "[System.Net.ServicePointManager]::SecurityProtocol = 3072; iex ((New-Object System.Net.WebClient).DownloadString('https://community.chocolatey.org/install.ps1'))"
RUN choco install -y git.install 7zip cmake --installargs 'ADD_CMAKE_TO_PATH=System' && `
    choco cache remove -y
USER ContainerUser
WORKDIR C:\Users\ContainerUser\src
ENTRYPOINT ["cmd.exe", "/S", "/C"]
