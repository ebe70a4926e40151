# escape=`
FROM mcr.microsoft.com/powershell:lts-nanoserver-ltsc2022
SHELL ["pwsh", "-Command"]
RUN New-Item -ItemType Directory -Path C:\data `
    # comment inside a backtick continuation
    -Force ; `
    Write-Host "C:\data ready"
ENV TOOLS_HOME=C:\tools `
    LOG_DIR=C:\logs\
COPY ["bin\\", "C:\\tools\\"]
CMD ["pwsh", "-NoLogo"]
